import KafkaCoordinator
import KafkaProtocol

/// Sends a group request to the shard that coordinates `groupId` and waits for its reply; nil when the
/// coordinator could not serve it (the handler then answers COORDINATOR_NOT_AVAILABLE). `withTopics` first gives
/// the shard the metadata image's topics if they changed since it last saw them: requests that name topics by id
/// (v10 offsets) or assign partitions (KIP-848 groups and their classic members) need them.
func coordinate(
    _ context: BrokerContext, _ rc: RequestContext, groupId: String, withTopics: Bool = false,
    _ make: @escaping @Sendable (KafkaCoordinator.RequestContext) -> GroupEvent
) async -> GroupResponse? {
    do {
        let shard = try await context.groups.shard(for: groupId)
        if withTopics { await refreshTopics(context, shard) }
        let host = rc.clientAddress.split(separator: ":").dropLast().joined(separator: ":")
        return await shard.request(apiVersion: rc.apiVersion, clientId: rc.clientId ?? "", clientHost: "/" + host, make)
    } catch KafkaError.notCoordinator {
        // The group's partition is led elsewhere: the client finds the coordinator again. (Kafka answers
        // NOT_COORDINATOR; the handlers answer COORDINATOR_NOT_AVAILABLE, which clients treat the same way.)
        rc.logger.debug("group \(groupId) is coordinated by another broker")
        return nil
    } catch {
        rc.logger.error("group coordinator unavailable: \(error)")
        return nil
    }
}

let coordinatorNotAvailable = KafkaError.coordinatorNotAvailable.code

/// Hands the shard the image's topics (ids, names, partition counts) when the image moved since its last update.
private func refreshTopics(_ context: BrokerContext, _ shard: GroupShardDriver) async {
    let image = context.image
    guard await shard.topicsImageVersion != image.recordsReplayed else { return }
    var topics: [KafkaUUID: AssignmentSpec.Topic] = [:]
    for (id, topic) in image.topicsById {
        topics[id] = AssignmentSpec.Topic(name: topic.name, partitionCount: Int32(topic.partitions.count))
    }
    await shard.updateTopics(topics, imageVersion: image.recordsReplayed)
}
