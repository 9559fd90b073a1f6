import KafkaProtocol
import KafkaStorage

/// WriteTxnMarkers (key 27), versions 0-2 (inter-broker: what a transaction coordinator sends partition leaders).
///
/// Each marker becomes a COMMIT or ABORT control batch appended to each named partition (the partition's producer
/// state then closes the transaction and, for aborts, indexes it); for `__consumer_offsets` partitions the group
/// shard applies or discards the producer's pending transactional offsets. Each partition is answered once its
/// marker is committed (NOT_LEADER_OR_FOLLOWER from a follower, REQUEST_TIMED_OUT when it did not replicate in
/// `request.timeout.ms`: the coordinator retries). On a single node the coordinator writes its markers directly
/// (TransactionShardDriver); this API serves any coordinator that sends them.
struct WriteTxnMarkersHandler: ApiHandler {
    let apiKey = ApiKey.writeTxnMarkers
    let versions: ClosedRange<Int16> = 0...2
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! WriteTxnMarkersRequest
        let image = context.image
        var response = WriteTxnMarkersResponse()
        // Every marker is appended first, then each is waited for: their partitions replicate in parallel.
        var pending: [Pending] = []
        for (mi, m) in req.markers.enumerated() {
            var result = WriteTxnMarkersResponse.WritableTxnMarkerResult()
            result.producerId = m.producerId
            for (ti, t) in m.topics.enumerated() {
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
                            let commit = try context.replicas.appendInternal(
                                TopicPartition(t.name, index), records: batch, commitTimeoutMs: context.config.network.requestTimeoutMs)
                            pending.append(Pending(marker: mi, topic: ti, partition: tr.partitions.count, commit: commit))
                        } catch let error as KafkaError {
                            // NOT_LEADER_OR_FOLLOWER: the coordinator finds the leader and sends it again.
                            pr.errorCode = error.code
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
        for p in pending {
            // Answered once the marker is committed (acks=all), as Kafka's leader answers: REQUEST_TIMED_OUT or
            // NOT_LEADER_OR_FOLLOWER otherwise, and the coordinator sends it again.
            var error = KafkaError.none
            if let commit = p.commit { error = await context.replicas.awaitAck(commit) }
            response.markers[p.marker].topics[p.topic].partitions[p.partition].errorCode = error.code
            let m = req.markers[p.marker]
            let topic = m.topics[p.topic].name
            if error == .none, topic == GroupCoordinatorService.topic {
                await context.groups.transactionCompleted(
                    partition: response.markers[p.marker].topics[p.topic].partitions[p.partition].partitionIndex,
                    producerId: m.producerId, producerEpoch: m.producerEpoch, committed: m.transactionResult)
            }
        }
        return .respond(response)
    }

    /// A marker appended, with its commit to wait for (nil: committed at once), and where its answer goes.
    private struct Pending {
        var marker: Int
        var topic: Int
        var partition: Int
        var commit: UInt64?
    }
}
