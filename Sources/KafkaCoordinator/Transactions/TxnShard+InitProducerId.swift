import KafkaProtocol

/// InitProducerId for a transactional id: epoch bumps, fencing, producer id rotation (KIP-360).
extension TransactionCoordinatorShard {
    mutating func initProducerId(_ ctx: RequestContext, _ req: InitProducerIdRequest) {
        func answer(_ error: KafkaError, _ pid: Int64 = -1, _ epoch: Int16 = -1) {
            var r = InitProducerIdResponse()
            // KIP-588: PRODUCER_FENCED from v4; earlier clients know INVALID_PRODUCER_EPOCH.
            r.errorCode = fencedError(error, apiVersion: ctx.apiVersion, firstVersionWithFenced: 4).rawValue
            r.producerId = error == .none ? pid : -1
            r.producerEpoch = error == .none ? epoch : -1
            reply(ctx, .initProducerId(r))
        }
        guard let txnId = req.transactionalId, !txnId.isEmpty else { return answer(.invalidRequest) }
        guard req.transactionTimeoutMs > 0, req.transactionTimeoutMs <= config.maxTransactionTimeoutMs else {
            return answer(.invalidTransactionTimeout)
        }
        // KIP-360 (v3+): a producer that already has an id says which, so a retry or a recovering producer can be
        // told apart from a zombie.
        let expected: (pid: Int64, epoch: Int16)? =
            req.producerId >= 0 || req.producerEpoch >= 0 ? (req.producerId, req.producerEpoch) : nil

        let meta: TransactionMetadata
        if let existing = transactions[txnId] {
            meta = existing
        } else {
            guard let pid = takeProducerId() else { return answer(.coordinatorLoadInProgress) }
            // Not written yet: the Empty record below (epoch 0) creates the id.
            meta = TransactionMetadata(transactionalId: txnId, producerId: pid, producerEpoch: -1,
                                       timeoutMs: req.transactionTimeoutMs, state: .empty, lastUpdateTimestamp: now)
        }
        if let e = expected {
            let valid = meta.producerEpoch == -1 || e.pid == meta.producerId
                || (e.pid == meta.lastProducerId && TransactionMetadata.isEpochExhausted(e.epoch))
            guard valid else { return answer(.producerFenced) }
        }
        switch meta.state {
        case .prepareCommit, .prepareAbort, .dead, .prepareEpochFence:
            // Markers of the previous transaction are still being written: the client backs off and retries.
            answer(.concurrentTransactions)
        case .ongoing:
            // A new producer instance takes over an id whose transaction is open: abort it with a bumped epoch
            // (which fences the old producer on every partition through the markers) and let the client retry;
            // the retry bumps the epoch again, rotating the producer id if this bump exhausted it.
            abortFencing(meta)
            answer(.concurrentTransactions)
        case .empty, .completeCommit, .completeAbort:
            var next = meta
            let retry: (producerId: Int64, epoch: Int16)
            if TransactionMetadata.isEpochExhausted(meta.producerEpoch)
                && (expected == nil || expected!.epoch == meta.producerEpoch)
            {
                guard let newPid = takeProducerId() else { return answer(.coordinatorLoadInProgress) }
                next.producerId = newPid
                next.producerEpoch = 0
                retry = (meta.producerId, expected == nil ? -1 : meta.producerEpoch)
            } else {
                let bumped = meta.producerEpoch + 1
                if let e = expected {
                    if meta.producerEpoch == -1 || e.epoch == meta.producerEpoch {
                        next.producerEpoch = bumped
                        retry = (meta.producerId, meta.producerEpoch)
                    } else if e.epoch == meta.lastProducerEpoch {
                        // A retry of a bump whose answer was lost: hand out the same epoch again.
                        retry = (meta.lastProducerId, meta.lastProducerEpoch)
                    } else {
                        return answer(.producerFenced)
                    }
                } else {
                    next.producerEpoch = bumped
                    retry = (meta.producerId, -1)
                }
            }
            next.state = .empty
            next.timeoutMs = req.transactionTimeoutMs
            next.partitions = []
            next.startTimestamp = -1
            next.lastUpdateTimestamp = now
            write(next, retry: retry)
            answer(.none, next.producerId, next.producerEpoch)
        }
    }

    /// Aborts an ongoing transaction on the coordinator's own initiative (a new producer instance, or the
    /// timeout): the PrepareAbort record carries a bumped epoch so that the old producer is fenced (Kafka's
    /// PrepareEpochFence followed by an abort, in one step here).
    mutating func abortFencing(_ meta: TransactionMetadata) {
        var next = meta
        // An epoch at Int16.max cannot be bumped; Kafka refuses it too. Abort with the same epoch then.
        if meta.producerEpoch < Int16.max { next.producerEpoch = meta.producerEpoch + 1 }
        next.state = .prepareAbort
        next.lastUpdateTimestamp = now
        write(next, retry: (meta.lastProducerId, -1))
        requestMarkers(next)
    }
}
