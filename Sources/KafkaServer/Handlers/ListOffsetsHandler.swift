import KafkaProtocol
import KafkaStorage

/// ListOffsets (key 2), versions 0-11.
///
/// Earliest (-2), latest (-1, capped at the high watermark, or the last stable offset for read_committed), max
/// timestamp (-3, KIP-734), earliest local (-4), latest tiered (-5: there is no tiered storage, so the log start),
/// and by timestamp, on the partition's leader only (NOT_LEADER_OR_FOLLOWER elsewhere; a stale or future
/// `CurrentLeaderEpoch`, v4+, gets FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH). v0 answers in `OldStyleOffsets`. Leaves out: MaxNumOffsets > 1 in v0 (one offset is given).
struct ListOffsetsHandler: ApiHandler {
    let apiKey = ApiKey.listOffsets
    let versions: ClosedRange<Int16> = 0...11
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! ListOffsetsRequest
        let image = context.image
        let readCommitted = rc.apiVersion >= 2 && req.isolationLevel == 1
        var response = ListOffsetsResponse()
        for t in req.topics {
            var tr = ListOffsetsResponse.ListOffsetsTopicResponse()
            tr.name = t.name
            let topic = image.topic(named: t.name)
            for p in t.partitions {
                var pr = ListOffsetsResponse.ListOffsetsPartitionResponse()
                pr.partitionIndex = p.partitionIndex
                guard let topic, let partition = topic.partitions[p.partitionIndex] else {
                    pr.errorCode = KafkaError.unknownTopicOrPartition.code
                    tr.partitions.append(pr)
                    continue
                }
                let leadership = PartitionLeadership.check(
                    partition, localId: context.nodeId, currentLeaderEpoch: rc.apiVersion >= 4 ? p.currentLeaderEpoch : -1)
                guard leadership == .none else {
                    pr.errorCode = leadership.code
                    tr.partitions.append(pr)
                    continue
                }
                let (error, offset, timestamp) = context.replicas.listOffset(
                    TopicPartition(t.name, p.partitionIndex), timestamp: p.timestamp, readCommitted: readCommitted)
                pr.errorCode = error.code
                if rc.apiVersion >= 4 { pr.leaderEpoch = partition.leaderEpoch }
                if rc.apiVersion == 0 {
                    pr.oldStyleOffsets = error == .none && offset >= 0 ? [offset] : []
                } else {
                    pr.offset = offset
                    pr.timestamp = timestamp
                }
                tr.partitions.append(pr)
            }
            response.topics.append(tr)
        }
        return .respond(response)
    }
}
