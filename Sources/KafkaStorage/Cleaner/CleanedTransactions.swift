/// What the cleaner tracks about transactions while it walks a log in offset order (Kafka's
/// `CleanedTransactionMetadata`): which batches belong to aborted transactions (their records are removed),
/// and which transaction markers may go because no batch of their transaction is left.
///
/// Pure; fed batch by batch. `aborted` lists the log's aborted transactions (from the `.txnindex` files).
struct CleanedTransactions {
    private struct OngoingAbort {
        var transaction: AbortedTransaction
        /// Set when a batch of the transaction was seen (and removed) in this pass.
        var sawBatch = false
    }

    private var pending: [AbortedTransaction]
    private var next = 0
    private var ongoingAborted: [Int64: OngoingAbort] = [:]
    private var ongoingCommitted: Set<Int64> = []
    /// Aborted transactions whose ABORT marker is kept, for the new segments' `.txnindex`.
    private(set) var retainedAborts: [AbortedTransaction] = []

    init(aborted: [AbortedTransaction]) {
        pending = aborted.sorted { $0.firstOffset < $1.firstOffset }
    }

    private mutating func consumeAborted(upTo offset: Int64) {
        while next < pending.count, pending[next].firstOffset <= offset {
            ongoingAborted[pending[next].producerId] = OngoingAbort(transaction: pending[next])
            next += 1
        }
    }

    /// A data batch: returns true when it belongs to an aborted transaction (discard all of it).
    mutating func onBatch(_ batch: BatchSummary) -> Bool {
        consumeAborted(upTo: batch.lastOffset)
        guard batch.isTransactional else { return false }
        if ongoingAborted[batch.producerId] != nil {
            ongoingAborted[batch.producerId]!.sawBatch = true
            return true
        }
        ongoingCommitted.insert(batch.producerId)
        return false
    }

    /// A control batch: returns true when it may be discarded (once its delete horizon passed): a COMMIT whose
    /// transaction has no batch left, an ABORT none of whose batches were seen in this pass. An ABORT whose
    /// batches this pass removes is kept (one more pass) and its entry goes to the new `.txnindex`.
    mutating func onControlBatch(_ batch: BatchSummary, marker: MarkerInfo?) -> Bool {
        consumeAborted(upTo: batch.lastOffset)
        guard let marker else { return false }
        if marker.isCommit {
            return ongoingCommitted.remove(batch.producerId) == nil
        }
        if let abort = ongoingAborted.removeValue(forKey: batch.producerId), abort.sawBatch {
            retainedAborts.append(abort.transaction)
            return false
        }
        return true
    }

    /// Takes the retained aborted-transaction entries gathered since the last call.
    mutating func takeRetainedAborts() -> [AbortedTransaction] {
        defer { retainedAborts = [] }
        return retainedAborts
    }
}
