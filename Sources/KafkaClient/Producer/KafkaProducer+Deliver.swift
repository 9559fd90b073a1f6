import KafkaProtocol
import NIOCore

extension KafkaProducer {
    /// Sends one batch to its partition's leader, retrying until `delivery.timeout.ms`, and completes its
    /// records' deliveries with the offsets the broker assigned.
    func deliver(_ batch: SealedBatch) async {
        let tp = batch.tp, acks = config.acks, autoCreate = config.allowAutoCreateTopics
        let timeout = Int32(clamping: config.client.requestTimeoutMs)
        let cluster = self.cluster
        let build: @Sendable (Int16) -> ProduceRequest = { _ in
            var req = ProduceRequest()
            req.acks = acks.rawValue
            req.timeoutMs = timeout
            var part = ProduceRequest.PartitionProduceData()
            part.index = tp.partition
            part.records = batch.records
            var topic = ProduceRequest.TopicProduceData()
            topic.name = tp.topic
            topic.partitionData = [part]
            req.topicData = [topic]
            return req
        }
        do {
            let (baseOffset, appendTime) = try await cluster.withRetries("produce to \(tp)", timeoutMs: config.deliveryTimeoutMs) { () -> (Int64, Int64) in
                let m = try await cluster.metadata(topics: [tp.topic], autoCreate: autoCreate)
                guard let leader = m.leader(of: tp.topic, partition: tp.partition) else {
                    throw KafkaClientError.broker(.leaderNotAvailable, message: nil, broker: nil, context: "partition \(tp)")
                }
                let link = try await cluster.link(to: leader)
                if acks == .none {
                    try await link.sendOneWay(.produce, build)
                    return (-1, -1)
                }
                let (r, _) = try await link.send(.produce, as: ProduceResponse.self, build)
                guard let p = r.responses.first(where: { $0.name == tp.topic })?.partitionResponses.first(where: { $0.index == tp.partition }) else {
                    throw KafkaClientError.network("broker \(leader) did not answer for \(tp)")
                }
                let code = KafkaError(rawValue: p.errorCode) ?? .unknownServerError
                // A retried batch the broker already has (its answer to the first try was lost): written once.
                if code == .duplicateSequenceNumber { return (-1, -1) }
                guard code == .none else {
                    throw KafkaClientError.broker(code, message: p.errorMessage, broker: leader, context: "partition \(tp)")
                }
                return (p.baseOffset, p.logAppendTimeMs)
            }
            for (i, (delivery, ts)) in batch.deliveries.enumerated() {
                let offset = baseOffset < 0 ? -1 : baseOffset + Int64(i)
                delivery.complete(.success(RecordMetadata(topic: tp.topic, partition: tp.partition, offset: offset,
                                                          timestamp: appendTime >= 0 ? appendTime : ts)))
            }
        } catch {
            let e = error as? KafkaClientError ?? .network("\(error)")
            if let code = e.kafkaError, Self.invalidatesProducerId(code), batch.producerId >= 0 {
                resetProducerId(ifStill: batch.producerId)
            }
            for (delivery, _) in batch.deliveries { delivery.complete(.failure(e)) }
        }
    }
}
