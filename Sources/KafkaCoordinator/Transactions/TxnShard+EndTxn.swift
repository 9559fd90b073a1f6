import KafkaProtocol

/// EndTxn and the completion of a transaction once its markers are written.
extension TransactionCoordinatorShard {
    mutating func endTxn(_ ctx: RequestContext, _ req: EndTxnRequest) {
        let result: TransactionResult = req.committed ? .commit : .abort
        let error = endTransaction(req.transactionalId, req.producerId, req.producerEpoch, result)
        var r = EndTxnResponse()
        // KIP-588: PRODUCER_FENCED from v2.
        r.errorCode = fencedError(error, apiVersion: ctx.apiVersion, firstVersionWithFenced: 2).rawValue
        if ctx.apiVersion >= 5, let meta = transactions[req.transactionalId], error == .none {
            // v5 carries the producer id and epoch for KIP-890 part 2 clients; without transaction.version 2 they
            // are the ones the producer already has (no epoch bump at the end of the transaction).
            r.producerId = meta.producerId
            r.producerEpoch = meta.producerEpoch
        }
        reply(ctx, .endTxn(r))
    }

    /// Moves an ongoing transaction to PrepareCommit/PrepareAbort and asks for its markers. The answer goes out
    /// with the PREPARE record, before the markers are written (as Kafka 3.x answers).
    private mutating func endTransaction(_ txnId: String, _ producerId: Int64, _ producerEpoch: Int16,
                                         _ result: TransactionResult) -> KafkaError {
        guard !txnId.isEmpty else { return .invalidRequest }
        guard let meta = transactions[txnId], meta.producerId == producerId else { return .invalidProducerIdMapping }
        guard meta.producerEpoch == producerEpoch else { return .producerFenced }
        switch (meta.state, result) {
        case (.ongoing, _):
            var next = meta
            next.state = result == .commit ? .prepareCommit : .prepareAbort
            next.lastUpdateTimestamp = now
            write(next)
            requestMarkers(next)
            return .none
        // A retry of an EndTxn that already completed succeeds; one still writing markers is told to wait.
        case (.completeCommit, .commit), (.completeAbort, .abort): return .none
        case (.prepareCommit, .commit), (.prepareAbort, .abort): return .concurrentTransactions
        case (.dead, _), (.prepareEpochFence, _): return .concurrentTransactions
        default: return .invalidTxnState
        }
    }

    mutating func markersWritten(_ txnId: String, _ producerId: Int64, _ producerEpoch: Int16, _ result: TransactionResult) {
        // A report for another transaction (stale after a reload, or repeated) changes nothing.
        guard let meta = transactions[txnId], meta.producerId == producerId, meta.producerEpoch == producerEpoch,
            meta.state == (result == .commit ? .prepareCommit : .prepareAbort)
        else { return }
        var next = meta
        next.state = result == .commit ? .completeCommit : .completeAbort
        next.partitions = []
        next.lastUpdateTimestamp = now
        write(next)
    }
}
