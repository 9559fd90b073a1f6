import KafkaProtocol
import KafkaStorage

/// WriteTxnMarkers (key 27), versions 0-2 (inter-broker: what a transaction coordinator sends partition leaders).
///
/// Each marker becomes a COMMIT or ABORT control batch appended to each named partition (the partition's producer
/// state then closes the transaction and, for aborts, indexes it); for `__consumer_offsets` partitions the group
/// shard applies or discards the producer's pending transactional offsets. On a single node the coordinator writes
/// its markers directly (TransactionShardDriver); this API serves any coordinator that sends them.
struct WriteTxnMarkersHandler: ApiHandler {
    let apiKey = ApiKey.writeTxnMarkers
    let versions: ClosedRange<Int16> = 0...2
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! WriteTxnMarkersRequest
        let image = context.image
        var response = WriteTxnMarkersResponse()
        for m in req.markers {
            var result = WriteTxnMarkersResponse.WritableTxnMarkerResult()
            result.producerId = m.producerId
            for t in m.topics {
                var tr = WriteTxnMarkersResponse.WritableTxnMarkerTopicResult()
                tr.name = t.name
                for index in t.partitionIndexes {
                    var pr = WriteTxnMarkersResponse.WritableTxnMarkerPartitionResult()
                    pr.partitionIndex = index
                    if image.topic(named: t.name)?.partitions[index] == nil {
                        pr.errorCode = KafkaError.unknownTopicOrPartition.code
                    } else {
                        do {
                            let marker = EndTransactionMarker(commit: m.transactionResult, coordinatorEpoch: m.coordinatorEpoch)
                            let batch = try RecordBatchBuilder.endTransactionMarker(
                                marker, producerId: m.producerId, producerEpoch: m.producerEpoch, timestamp: context.clock())
                            try context.replicas.appendInternal(TopicPartition(t.name, index), records: batch)
                            if t.name == GroupCoordinatorService.topic {
                                await context.groups.transactionCompleted(
                                    partition: index, producerId: m.producerId, producerEpoch: m.producerEpoch, committed: m.transactionResult)
                            }
                        } catch {
                            rc.logger.error("cannot write a marker to \(t.name)-\(index): \(error)")
                            pr.errorCode = KafkaError.kafkaStorageError.code
                        }
                    }
                    tr.partitions.append(pr)
                }
                result.topics.append(tr)
            }
            response.markers.append(result)
        }
        return .respond(response)
    }
}
