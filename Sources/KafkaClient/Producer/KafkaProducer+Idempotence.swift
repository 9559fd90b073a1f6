import KafkaProtocol

extension KafkaProducer {
    /// Asks for a producer id once; concurrent sends share the one request.
    func ensureProducerId() async throws {
        if producerId >= 0 { return }
        let task = producerIdTask ?? Task { [cluster] in try await Self.initProducerId(cluster) }
        producerIdTask = task
        do {
            let (id, epoch) = try await task.value
            if producerId < 0 {
                producerId = id
                producerEpoch = epoch
                sequences = [:]
            }
        } catch {
            producerIdTask = nil
            throw error
        }
    }

    /// Forgets the producer id after the broker refused it or the sequence (OUT_OF_ORDER_SEQUENCE_NUMBER,
    /// UNKNOWN_PRODUCER_ID, INVALID_PRODUCER_EPOCH): the next records get a new id and start at sequence 0.
    /// Batches already numbered with the old id fail as the broker answers them.
    func resetProducerId(ifStill id: Int64) {
        guard producerId == id else { return }
        producerId = -1
        producerEpoch = -1
        sequences = [:]
        producerIdTask = nil
    }

    /// InitProducerId without a transactional id, to any broker: the idempotent producer's id and epoch.
    static func initProducerId(_ cluster: KafkaCluster) async throws -> (Int64, Int16) {
        try await cluster.withRetries("InitProducerId") {
            let link = try await cluster.anyLink()
            let (r, _) = try await link.send(.initProducerId, as: InitProducerIdResponse.self) { _ in
                var req = InitProducerIdRequest()
                req.transactionalId = nil
                // No transaction: the timeout is not used; Kafka's producer sends Integer.MAX_VALUE.
                req.transactionTimeoutMs = .max
                return req
            }
            let code = KafkaError(rawValue: r.errorCode) ?? .unknownServerError
            guard code == .none else {
                throw KafkaClientError.broker(code, message: nil, broker: link.nodeId, context: "InitProducerId")
            }
            return (r.producerId, r.producerEpoch)
        }
    }

    /// Kafka's sequence arithmetic: sequences wrap from Int32.max to 0 (`DefaultRecordBatch.incrementSequence`).
    static func sequence(_ sequence: Int32, plus increment: Int32) -> Int32 {
        sequence > Int32.max - increment ? increment - (Int32.max - sequence) - 1 : sequence + increment
    }

    /// The errors after which the producer id cannot go on.
    static func invalidatesProducerId(_ e: KafkaError) -> Bool {
        e == .outOfOrderSequenceNumber || e == .unknownProducerId || e == .invalidProducerEpoch
    }
}
