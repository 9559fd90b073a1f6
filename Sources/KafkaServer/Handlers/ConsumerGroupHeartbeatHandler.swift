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
        await syncTopics(context, groupId: req.groupId)
        if case .consumerGroupHeartbeat(let r)? = await coordinate(context, rc, groupId: req.groupId, { .consumerGroupHeartbeat($0, req) }) {
            return .respond(r)
        }
        var r = ConsumerGroupHeartbeatResponse()
        r.errorCode = coordinatorNotAvailable
        return .respond(r)
    }
}

/// Gives the group's shard the topics of the current metadata image, when they changed since it last saw them:
/// consumer groups assign partitions and resolve regexes against them.
func syncTopics(_ context: BrokerContext, groupId: String) async {
    guard let shard = try? await context.groups.shard(for: groupId) else { return }
    let image = context.image
    guard await shard.topicsImageVersion != image.recordsReplayed else { return }
    var topics: [KafkaUUID: AssignmentSpec.Topic] = [:]
    for (id, topic) in image.topicsById {
        topics[id] = AssignmentSpec.Topic(name: topic.name, partitionCount: Int32(topic.partitions.count))
    }
    await shard.updateTopics(topics, imageVersion: image.recordsReplayed)
}
