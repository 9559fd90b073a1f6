import KafkaCoordinator
import KafkaProtocol

/// Sends a group request to the shard that coordinates `groupId` and waits for its reply; nil when the
/// coordinator could not serve it (the handler then answers COORDINATOR_NOT_AVAILABLE).
func coordinate(
    _ context: BrokerContext, _ rc: RequestContext, groupId: String,
    _ make: @escaping @Sendable (KafkaCoordinator.RequestContext) -> GroupEvent
) async -> GroupResponse? {
    do {
        let shard = try await context.groups.shard(for: groupId)
        let host = rc.clientAddress.split(separator: ":").dropLast().joined(separator: ":")
        return await shard.request(apiVersion: rc.apiVersion, clientId: rc.clientId ?? "", clientHost: "/" + host, make)
    } catch {
        rc.logger.error("group coordinator unavailable: \(error)")
        return nil
    }
}

let coordinatorNotAvailable = KafkaError.coordinatorNotAvailable.code
