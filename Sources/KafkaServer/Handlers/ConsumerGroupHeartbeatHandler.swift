import KafkaCoordinator
import KafkaProtocol

/// ConsumerGroupHeartbeat (key 68), versions 0-1 (KIP-848): joins, heartbeats, leaves and assignment
/// reconciliation of consumer-protocol members, served by the group's shard. v1 members bring their own member
/// id and may subscribe with a regular expression. Not served: classic members in a consumer group (online
/// migration), rack-aware assignment.
struct ConsumerGroupHeartbeatHandler: ApiHandler {
    let apiKey = ApiKey.consumerGroupHeartbeat
    let versions: ClosedRange<Int16> = 0...1
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! ConsumerGroupHeartbeatRequest
        if case .consumerGroupHeartbeat(let r)? = await coordinate(context, rc, groupId: req.groupId, withTopics: true, { .consumerGroupHeartbeat($0, req) }) {
            return .respond(r)
        }
        var r = ConsumerGroupHeartbeatResponse()
        r.errorCode = groupRefusal(context, req.groupId)
        return .respond(r)
    }
}
