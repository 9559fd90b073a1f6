import KafkaCoordinator
import KafkaProtocol

/// OffsetCommit (key 8), versions 0-10: committed offsets become records in `__consumer_offsets`, validated
/// against the group's generation and member. Topic ids in v10 are resolved from the metadata image.
struct OffsetCommitHandler: ApiHandler {
    let apiKey = ApiKey.offsetCommit
    let versions: ClosedRange<Int16> = 0...10
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        var req = request as! OffsetCommitRequest
        // As Kafka's KafkaApis: topics named (v0-9) that do not exist are answered UNKNOWN_TOPIC_OR_PARTITION
        // without reaching the coordinator (v10 topic ids are resolved, or refused, by the shard).
        var unknown: [OffsetCommitResponse.OffsetCommitResponseTopic] = []
        if rc.apiVersion < 10 {
            let image = context.image
            let (known, missing) = (req.topics.filter { image.topic(named: $0.name) != nil },
                                    req.topics.filter { image.topic(named: $0.name) == nil })
            unknown = missing.map { t in
                var tr = OffsetCommitResponse.OffsetCommitResponseTopic()
                tr.name = t.name
                tr.partitions = t.partitions.map { p in
                    var pr = OffsetCommitResponse.OffsetCommitResponsePartition()
                    pr.partitionIndex = p.partitionIndex
                    pr.errorCode = KafkaError.unknownTopicOrPartition.code
                    return pr
                }
                return tr
            }
            if !unknown.isEmpty && known.isEmpty {
                var r = OffsetCommitResponse()
                r.topics = unknown
                return .respond(r)
            }
            req.topics = known
        }
        let forwarded = req
        if case .offsetCommit(var r)? = await coordinate(context, rc, groupId: req.groupId, withTopics: rc.apiVersion >= 10, { .offsetCommit($0, forwarded) }) {
            r.topics = unknown + r.topics
            return .respond(r)
        }
        var r = OffsetCommitResponse()
        r.topics = unknown + req.topics.map { t in
            var tr = OffsetCommitResponse.OffsetCommitResponseTopic()
            tr.name = t.name
            tr.topicId = t.topicId
            tr.partitions = t.partitions.map { p in
                var pr = OffsetCommitResponse.OffsetCommitResponsePartition()
                pr.partitionIndex = p.partitionIndex
                pr.errorCode = groupRefusal(context, req.groupId)
                return pr
            }
            return tr
        }
        return .respond(r)
    }
}
