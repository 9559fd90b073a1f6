import KafkaProtocol
import KafkaStorage

/// DeleteRecords (key 21), versions 0-2: advances each partition's log start offset (-1 means the high watermark)
/// and deletes the segments wholly below it; answers the new low watermark. OFFSET_OUT_OF_RANGE beyond the high
/// watermark, as Kafka.
struct DeleteRecordsHandler: ApiHandler {
    let apiKey = ApiKey.deleteRecords
    let versions: ClosedRange<Int16> = 0...2
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! DeleteRecordsRequest
        let image = context.image
        var response = DeleteRecordsResponse()
        for t in req.topics {
            var tr = DeleteRecordsResponse.DeleteRecordsTopicResult()
            tr.name = t.name
            for p in t.partitions {
                var pr = DeleteRecordsResponse.DeleteRecordsPartitionResult()
                pr.partitionIndex = p.partitionIndex
                pr.lowWatermark = -1
                guard image.topic(named: t.name)?.partitions[p.partitionIndex] != nil else {
                    pr.errorCode = KafkaError.unknownTopicOrPartition.code
                    tr.partitions.append(pr)
                    continue
                }
                let (error, low) = context.replicas.deleteRecords(TopicPartition(t.name, p.partitionIndex), before: p.offset)
                pr.errorCode = error.code
                pr.lowWatermark = low
                tr.partitions.append(pr)
            }
            response.topics.append(tr)
        }
        return .respond(response)
    }
}
