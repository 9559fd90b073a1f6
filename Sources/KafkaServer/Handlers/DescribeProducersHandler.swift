import KafkaProtocol
import KafkaStorage

/// DescribeProducers (key 61), version 0: the active producers of each partition from its producer state (id,
/// epoch, last sequence, last timestamp, coordinator epoch, open transaction's first offset).
struct DescribeProducersHandler: ApiHandler {
    let apiKey = ApiKey.describeProducers
    let versions: ClosedRange<Int16> = 0...0
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! DescribeProducersRequest
        let image = context.image
        var response = DescribeProducersResponse()
        for t in req.topics {
            var tr = DescribeProducersResponse.TopicResponse()
            tr.name = t.name
            for index in t.partitionIndexes {
                var pr = DescribeProducersResponse.PartitionResponse()
                pr.partitionIndex = index
                guard image.topic(named: t.name)?.partitions[index] != nil else {
                    pr.errorCode = KafkaError.unknownTopicOrPartition.code
                    tr.partitions.append(pr)
                    continue
                }
                let (error, producers) = context.replicas.activeProducers(TopicPartition(t.name, index))
                pr.errorCode = error.code
                pr.activeProducers = producers.map { e in
                    var s = DescribeProducersResponse.ProducerState()
                    s.producerId = e.producerId
                    s.producerEpoch = Int32(e.producerEpoch)
                    s.lastSequence = e.lastSequence
                    s.lastTimestamp = e.lastTimestamp
                    s.coordinatorEpoch = e.coordinatorEpoch
                    s.currentTxnStartOffset = e.currentTransactionFirstOffset ?? -1
                    return s
                }
                tr.partitions.append(pr)
            }
            response.topics.append(tr)
        }
        return .respond(response)
    }
}
