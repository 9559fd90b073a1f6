import KafkaCoordinator
import KafkaProtocol

/// OffsetCommit (key 8), versions 0-10: committed offsets become records in `__consumer_offsets`, validated
/// against the group's generation and member. Topic ids in v10 are resolved from the metadata image.
struct OffsetCommitHandler: ApiHandler {
    let apiKey = ApiKey.offsetCommit
    let versions: ClosedRange<Int16> = 0...10
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! OffsetCommitRequest
        if rc.apiVersion >= 10 { await syncTopicIds(context, groupId: req.groupId) }
        if case .offsetCommit(let r)? = await coordinate(context, rc, groupId: req.groupId, { .offsetCommit($0, req) }) { return .respond(r) }
        var r = OffsetCommitResponse()
        r.topics = req.topics.map { t in
            var tr = OffsetCommitResponse.OffsetCommitResponseTopic()
            tr.name = t.name
            tr.topicId = t.topicId
            tr.partitions = t.partitions.map { p in
                var pr = OffsetCommitResponse.OffsetCommitResponsePartition()
                pr.partitionIndex = p.partitionIndex
                pr.errorCode = coordinatorNotAvailable
                return pr
            }
            return tr
        }
        return .respond(r)
    }
}

/// Gives the group's shard the current topic ids (only the v10 offset APIs name topics by id).
func syncTopicIds(_ context: BrokerContext, groupId: String) async {
    guard let shard = try? await context.groups.shard(for: groupId) else { return }
    let ids = Dictionary(context.image.topicsById.map { ($0.key, $0.value.name) }, uniquingKeysWith: { a, _ in a })
    await shard.updateTopicIds(ids)
}
