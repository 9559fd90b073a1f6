import KafkaCoordinator
import KafkaProtocol
import NIOCore
import KafkaStorage

/// Produce (key 0), versions 0-13 (v0-2 carry magic 0/1 message sets, converted to magic 2 as Kafka 4 stores them;
/// Kafka 4 itself refuses v0-2).
///
/// acks 0 (no response), 1 (answered after the leader's append) and -1 (answered when the high watermark passes
/// the batch, or REQUEST_TIMED_OUT after `timeout.ms`; NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below
/// `min.insync.replicas` meanwhile), validation as Kafka's LogValidator,
/// idempotent producers (duplicates answered with the original offset, OUT_OF_ORDER_SEQUENCE_NUMBER,
/// INVALID_PRODUCER_EPOCH), transactional writes verified with the transaction coordinator (KIP-890 part 1: a
/// partition the transaction did not add is refused with INVALID_TXN_STATE). A partition led elsewhere gets
/// NOT_LEADER_OR_FOLLOWER, from v10 with the leader's id, epoch and endpoint (KIP-951); acks=all while the ISR is
/// smaller than `min.insync.replicas` gets NOT_ENOUGH_REPLICAS before anything is appended. Leaves out: per-record error details,
/// quotas, caching the verification per transaction (every transactional produce asks the coordinator).
struct ProduceHandler: ApiHandler {
    let apiKey = ApiKey.produce
    let versions: ClosedRange<Int16> = 0...13
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! ProduceRequest
        let image = context.image
        let acksValid = req.acks == 0 || req.acks == 1 || req.acks == -1
        var response = ProduceResponse()
        var waiting: [Waiting] = []
        for topicData in req.topicData {
            var topicResponse = ProduceResponse.TopicProduceResponse()
            topicResponse.name = topicData.name
            topicResponse.topicId = topicData.topicId
            let topic = rc.apiVersion >= 13 ? image.topic(id: topicData.topicId) : image.topic(named: topicData.name)
            for p in topicData.partitionData {
                var pr = ProduceResponse.PartitionProduceResponse()
                pr.index = p.index
                guard acksValid else {
                    pr.errorCode = KafkaError.invalidRequiredAcks.code
                    topicResponse.partitionResponses.append(pr)
                    continue
                }
                guard let topic, let partition = topic.partitions[p.index] else {
                    pr.errorCode = (rc.apiVersion >= 13 && topic == nil ? KafkaError.unknownTopicId : .unknownTopicOrPartition).code
                    topicResponse.partitionResponses.append(pr)
                    continue
                }
                let leadership = PartitionLeadership.check(partition, localId: context.nodeId)
                guard leadership == .none else {
                    pr.errorCode = leadership.code
                    if rc.apiVersion >= 10 {
                        // KIP-951: where to go instead.
                        let hint = PartitionLeadership.leaderHint(partition, leader: image.brokers[partition.leader], listener: rc.listenerName)
                        pr.currentLeader.leaderId = hint.leaderId
                        pr.currentLeader.leaderEpoch = hint.leaderEpoch
                        if let e = hint.endpoint, !response.nodeEndpoints.contains(where: { $0.nodeId == hint.leaderId }) {
                            var node = ProduceResponse.NodeEndpoint()
                            node.nodeId = hint.leaderId
                            node.host = e.host
                            node.port = e.port
                            node.rack = e.rack
                            response.nodeEndpoints.append(node)
                        }
                    }
                    topicResponse.partitionResponses.append(pr)
                    continue
                }
                guard let records = p.records else {
                    pr.errorCode = KafkaError.invalidRecord.code
                    topicResponse.partitionResponses.append(pr)
                    continue
                }
                if let error = await verifyTransaction(req, records: records, topic: topic.name, partition: p.index, rc: rc) {
                    pr.errorCode = error
                    topicResponse.partitionResponses.append(pr)
                    continue
                }
                let result = context.replicas.append(
                    TopicPartition(topic.name, p.index), records: records, produceVersion: rc.apiVersion,
                    settings: context.produceSettings(topic.name), leaderEpoch: partition.leaderEpoch,
                    requiredAcks: req.acks, timeoutMs: req.timeoutMs)
                if let waiter = result.waiter {
                    waiting.append(Waiting(topic: response.responses.count, partition: topicResponse.partitionResponses.count, waiter: waiter))
                }
                pr.errorCode = result.error.code
                pr.errorMessage = result.errorMessage
                pr.baseOffset = result.baseOffset
                pr.logAppendTimeMs = result.logAppendTime
                pr.logStartOffset = result.logStartOffset
                if result.error != .none {
                    rc.logger.debug("produce to \(topic.name)-\(p.index) refused: \(result.error)")
                }
                topicResponse.partitionResponses.append(pr)
            }
            response.responses.append(topicResponse)
        }
        // acks=all: every partition was appended first, then the answer waits for their high watermarks (Kafka's
        // delayed produce), each bounded by the request's timeout.
        for w in waiting {
            let error = await context.replicas.awaitAck(w.waiter)
            if error != .none { response.responses[w.topic].partitionResponses[w.partition].errorCode = error.code }
        }
        return req.acks == 0 ? .noResponse : .respond(response)
    }

    /// An acks=all partition of this request waiting for its high watermark.
    private struct Waiting {
        var topic: Int
        var partition: Int
        var waiter: UInt64
    }

    /// KIP-890 part 1: a transactional batch is appended only if its partition is part of the producer's ongoing
    /// transaction, which the coordinator confirms with a verify-only AddPartitionsToTxn (v4). Returns the error
    /// code to answer, or nil to go ahead.
    private func verifyTransaction(
        _ req: ProduceRequest, records: ByteBuffer, topic: String, partition: Int32, rc: RequestContext
    ) async -> Int16? {
        guard let transactionalId = req.transactionalId,
              RecordBatchIterator.detectMagic(records) == 2,
              let header = try? RecordBatchHeader(records), header.isTransactional else { return nil }
        var t = AddPartitionsToTxnRequest.AddPartitionsToTxnTopic()
        t.name = topic
        t.partitions = [partition]
        var txn = AddPartitionsToTxnRequest.AddPartitionsToTxnTransaction()
        txn.transactionalId = transactionalId
        txn.producerId = header.producerId
        txn.producerEpoch = header.producerEpoch
        txn.verifyOnly = true
        txn.topics = [t]
        var verify = AddPartitionsToTxnRequest()
        verify.transactions = [txn]
        let r: AddPartitionsToTxnResponse
        if let remote = context.transactions.remoteCoordinator(of: transactionalId, context) {
            // The coordinator is another broker: ask it over the inter-broker listener, as Kafka's
            // AddPartitionsToTxnManager does.
            guard let connection = context.interBroker.connection(to: remote, in: context.image),
                  let answer = try? await connection.send(verify, version: 4).body as? AddPartitionsToTxnResponse else {
                return KafkaError.coordinatorNotAvailable.code
            }
            r = answer
        } else {
            var asBroker = rc
            asBroker.apiVersion = 4
            let request = verify
            guard case .addPartitionsToTxn(let local)? = await coordinateTransaction(context, asBroker, transactionalId: transactionalId, { .addPartitionsToTxn($0, request) }) else {
                return KafkaError.coordinatorNotAvailable.code
            }
            r = local
        }
        if r.errorCode != 0 { return r.errorCode }
        let code = r.resultsByTransaction.first?.topicResults.first?.resultsByPartition.first?.partitionErrorCode ?? KafkaError.invalidTxnState.code
        return code == 0 ? nil : code
    }
}
