import KafkaProtocol

/// AddPartitionsToTxn (every version, including KIP-890's batched and verify-only forms) and AddOffsetsToTxn.
extension TransactionCoordinatorShard {
    mutating func addPartitionsToTxn(_ ctx: RequestContext, _ req: AddPartitionsToTxnRequest) {
        var response = AddPartitionsToTxnResponse()
        if ctx.apiVersion < 4 {
            let partitions = flatten(req.v3AndBelowTopics)
            let outcome = addPartitions(req.v3AndBelowTransactionalId, req.v3AndBelowProducerId,
                                        req.v3AndBelowProducerEpoch, partitions, verifyOnly: false)
            response.resultsByTopicV3AndBelow = topicResults(partitions, outcome) { error in
                // KIP-588: PRODUCER_FENCED from v2.
                fencedError(error, apiVersion: ctx.apiVersion, firstVersionWithFenced: 2)
            }
        } else {
            // Brokers batch transactions (KIP-890 part 1); each is handled on its own.
            response.resultsByTransaction = req.transactions.map { txn in
                let partitions = flatten(txn.topics)
                let outcome = addPartitions(txn.transactionalId, txn.producerId, txn.producerEpoch, partitions,
                                            verifyOnly: txn.verifyOnly)
                var result = AddPartitionsToTxnResponse.AddPartitionsToTxnResult()
                result.transactionalId = txn.transactionalId
                result.topicResults = topicResults(partitions, outcome) { error in
                    // TRANSACTION_ABORTABLE is a v5 error; v4 brokers know INVALID_TXN_STATE.
                    error == .transactionAbortable && ctx.apiVersion < 5 ? .invalidTxnState : error
                }
                return result
            }
        }
        reply(ctx, .addPartitionsToTxn(response))
    }

    mutating func addOffsetsToTxn(_ ctx: RequestContext, _ req: AddOffsetsToTxnRequest) {
        // The group's __consumer_offsets partition joins the transaction: the marker written there is what
        // makes the group's transactional offsets visible (or discards them).
        let partition = TxnPartition(
            "__consumer_offsets", offsetsPartition(forGroup: req.groupId, partitionCount: config.offsetsTopicPartitionCount))
        let outcome = addPartitions(req.transactionalId, req.producerId, req.producerEpoch, [partition], verifyOnly: false)
        var error: KafkaError
        switch outcome {
        case .all(let e): error = e
        case .each(let errors): error = errors[partition] ?? .none
        }
        if error == .none, !req.groupId.isEmpty { groupsByTransaction[req.transactionalId, default: []].insert(req.groupId) }
        var r = AddOffsetsToTxnResponse()
        // KIP-588: PRODUCER_FENCED from v2.
        error = fencedError(error, apiVersion: ctx.apiVersion, firstVersionWithFenced: 2)
        r.errorCode = error.rawValue
        reply(ctx, .addOffsetsToTxn(r))
    }

    /// Errors for a set of partitions: one for all, or one each (verify-only).
    enum AddOutcome {
        case all(KafkaError)
        case each([TxnPartition: KafkaError])
    }

    /// Adds partitions to the transaction of an id (writing the Ongoing record), or only checks that they are in
    /// it (`verifyOnly`, KIP-890 part 1: a partition leader asks before it accepts a transactional write).
    mutating func addPartitions(_ txnId: String, _ producerId: Int64, _ producerEpoch: Int16,
                                _ partitions: [TxnPartition], verifyOnly: Bool) -> AddOutcome {
        guard !txnId.isEmpty else { return .all(.invalidRequest) }
        guard let meta = transactions[txnId], meta.producerId == producerId else { return .all(.invalidProducerIdMapping) }
        guard meta.producerEpoch == producerEpoch else { return .all(.producerFenced) }
        if meta.state.isPrepare || meta.state == .dead || meta.state == .prepareEpochFence {
            return .all(.concurrentTransactions)
        }
        if verifyOnly {
            // A partition not in the transaction means the producer wrote without adding it (or after an
            // abort): the write must not be accepted.
            return .each(Dictionary(uniqueKeysWithValues: Set(partitions).map {
                ($0, meta.state == .ongoing && meta.partitions.contains($0) ? KafkaError.none : .transactionAbortable)
            }))
        }
        if meta.state == .ongoing && Set(partitions).isSubset(of: meta.partitions) { return .all(.none) }
        var next = meta
        if meta.state != .ongoing {
            // The first partition starts the transaction (and its timeout).
            next.partitions = []
            next.startTimestamp = now
        }
        next.partitions.formUnion(partitions)
        next.state = .ongoing
        next.lastUpdateTimestamp = now
        write(next)
        return .all(.none)
    }

    private func flatten(_ topics: [AddPartitionsToTxnRequest.AddPartitionsToTxnTopic]) -> [TxnPartition] {
        topics.flatMap { t in t.partitions.map { TxnPartition(t.name, $0) } }
    }

    private func topicResults(_ partitions: [TxnPartition], _ outcome: AddOutcome, map: (KafkaError) -> KafkaError)
        -> [AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult]
    {
        var order: [String] = []
        var byTopic: [String: [AddPartitionsToTxnResponse.AddPartitionsToTxnPartitionResult]] = [:]
        for p in partitions {
            if byTopic[p.topic] == nil { order.append(p.topic) }
            var r = AddPartitionsToTxnResponse.AddPartitionsToTxnPartitionResult()
            r.partitionIndex = p.partition
            switch outcome {
            case .all(let e): r.partitionErrorCode = map(e).rawValue
            case .each(let errors): r.partitionErrorCode = map(errors[p] ?? .none).rawValue
            }
            byTopic[p.topic, default: []].append(r)
        }
        return order.map { topic in
            var t = AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult()
            t.name = topic
            t.resultsByPartition = byTopic[topic]!
            return t
        }
    }
}
