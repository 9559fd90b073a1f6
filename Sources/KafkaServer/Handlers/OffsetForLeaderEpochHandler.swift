import KafkaProtocol
import KafkaStorage

/// OffsetForLeaderEpoch (key 23), versions 0-4: the end offset of the requested leader epoch from the partition's
/// leader-epoch cache (clients use it to detect log truncation, KIP-320). FENCED_LEADER_EPOCH when the client's
/// current epoch is older than the leader's, UNKNOWN_LEADER_EPOCH when newer.
struct OffsetForLeaderEpochHandler: ApiHandler {
    let apiKey = ApiKey.offsetForLeaderEpoch
    let versions: ClosedRange<Int16> = 0...4
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! OffsetForLeaderEpochRequest
        let image = context.image
        var response = OffsetForLeaderEpochResponse()
        for t in req.topics {
            var tr = OffsetForLeaderEpochResponse.OffsetForLeaderTopicResult()
            tr.topic = t.topic
            for p in t.partitions {
                var e = OffsetForLeaderEpochResponse.EpochEndOffset()
                e.partition = p.partition
                e.leaderEpoch = -1
                e.endOffset = -1
                guard let partition = image.topic(named: t.topic)?.partitions[p.partition] else {
                    e.errorCode = KafkaError.unknownTopicOrPartition.code
                    tr.partitions.append(e)
                    continue
                }
                if rc.apiVersion >= 2 && p.currentLeaderEpoch >= 0 {
                    if p.currentLeaderEpoch < partition.leaderEpoch {
                        e.errorCode = KafkaError.fencedLeaderEpoch.code
                        tr.partitions.append(e)
                        continue
                    } else if p.currentLeaderEpoch > partition.leaderEpoch {
                        e.errorCode = KafkaError.unknownLeaderEpoch.code
                        tr.partitions.append(e)
                        continue
                    }
                }
                let (error, epoch, end) = context.replicas.endOffset(TopicPartition(t.topic, p.partition), forLeaderEpoch: p.leaderEpoch)
                e.errorCode = error.code
                if rc.apiVersion >= 1 { e.leaderEpoch = epoch }
                e.endOffset = end
                tr.partitions.append(e)
            }
            response.topics.append(tr)
        }
        return .respond(response)
    }
}
