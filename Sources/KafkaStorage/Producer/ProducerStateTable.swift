import KafkaProtocol

/// Per-partition state of idempotent and transactional producers, rebuilt from batch headers alone. Pure: the
/// log feeds it every appended batch (and the markers' decoded type), in offset order.
public struct ProducerStateTable: Sendable {
    public private(set) var producers: [Int64: ProducerStateEntry] = [:]
    /// First offset of each open transaction → its producer id. Few are open at once; a dictionary suffices.
    private var ongoing: [Int64: Int64] = [:]
    /// The offset the state is complete up to (exclusive): the next batch to feed starts at or after it.
    public var mapEndOffset: Int64 = 0

    public init() {}

    /// The entry of `producerId`.
    public func entry(_ producerId: Int64) -> ProducerStateEntry? { producers[producerId] }

    /// The first offset of the oldest open transaction; the last stable offset cannot pass it.
    public var firstUnstableOffset: Int64? { ongoing.keys.min() }

    /// Open transactions, as (producerId, firstOffset) sorted by offset.
    public var ongoingTransactions: [(producerId: Int64, firstOffset: Int64)] {
        ongoing.sorted { $0.key < $1.key }.map { ($0.value, $0.key) }
    }

    /// Checks an incoming batch of a producer, as Kafka's ProducerAppendInfo does for client appends.
    /// Batches without a producer id are always accepted.
    public func check(producerId: Int64, producerEpoch: Int16, firstSequence: Int32, lastSequence: Int32) -> SequenceCheck {
        guard producerId >= 0, let entry = producers[producerId] else { return .accept }
        if producerEpoch < entry.producerEpoch {
            return .invalidProducerEpoch(current: entry.producerEpoch, received: producerEpoch)
        }
        if producerEpoch == entry.producerEpoch, let original = entry.duplicate(firstSequence: firstSequence, lastSequence: lastSequence) {
            return .duplicate(original)
        }
        if producerEpoch != entry.producerEpoch {
            // A new epoch starts its sequences at 0, unless the producer had no epoch yet.
            if firstSequence != 0 && entry.producerEpoch >= 0 {
                return .outOfOrderSequence(expected: 0, received: firstSequence)
            }
            return .accept
        }
        let last = entry.lastSequence
        // No batches left in this epoch (their data was deleted): any sequence is taken, as Kafka does.
        if last == -1 { return .accept }
        let expected = RecordBatchHeader.incrementSequence(last, by: 1)
        return firstSequence == expected ? .accept : .outOfOrderSequence(expected: expected, received: firstSequence)
    }

    /// Checks a transaction marker: a lower producer epoch or coordinator epoch than the last seen is refused.
    public func checkMarker(producerId: Int64, producerEpoch: Int16, coordinatorEpoch: Int32) -> Bool {
        guard let entry = producers[producerId] else { return true }
        return producerEpoch >= entry.producerEpoch && coordinatorEpoch >= entry.coordinatorEpoch
    }

    /// Accounts for an appended batch. `marker` is the decoded COMMIT/ABORT of a transactional control batch.
    /// Returns the transaction the marker completed.
    @discardableResult
    public mutating func apply(_ batch: BatchSummary, marker: MarkerInfo? = nil) -> CompletedTransaction? {
        mapEndOffset = max(mapEndOffset, batch.nextOffset)
        guard batch.producerId >= 0 else { return nil }
        var entry = producers[batch.producerId] ?? ProducerStateEntry(producerId: batch.producerId, producerEpoch: batch.producerEpoch)
        entry.updateEpoch(batch.producerEpoch)
        var completed: CompletedTransaction?
        if batch.isControl {
            if let marker {
                let first = entry.currentTransactionFirstOffset ?? batch.baseOffset
                completed = CompletedTransaction(producerId: batch.producerId, firstOffset: first,
                                                 lastOffset: batch.lastOffset, isAborted: !marker.isCommit)
                if let open = entry.currentTransactionFirstOffset { ongoing[open] = nil }
                entry.currentTransactionFirstOffset = nil
                entry.coordinatorEpoch = marker.coordinatorEpoch
                entry.lastTimestamp = batch.maxTimestamp
            }
        } else {
            if batch.baseSequence >= 0 {
                entry.addBatch(ProducerBatchMetadata(
                    firstSequence: batch.baseSequence, lastSequence: batch.lastSequence,
                    firstOffset: batch.baseOffset, lastOffset: batch.lastOffset, timestamp: batch.maxTimestamp))
            } else {
                entry.lastTimestamp = batch.maxTimestamp
            }
            if batch.isTransactional, entry.currentTransactionFirstOffset == nil {
                entry.currentTransactionFirstOffset = batch.baseOffset
                ongoing[batch.baseOffset] = batch.producerId
            }
        }
        producers[batch.producerId] = entry
        return completed
    }

    /// The last stable offset right after `transaction` completed: the first offset of the oldest transaction
    /// still open, or the offset after the marker (what the `.txnindex` entry records).
    public func lastStableOffset(after transaction: CompletedTransaction) -> Int64 {
        firstUnstableOffset ?? transaction.lastOffset + 1
    }

    /// Removes producers whose last activity is older than `expirationMs` and that have no open transaction
    /// (Kafka's `producer.id.expiration.ms`, default one day).
    public mutating func removeExpired(now: Int64, expirationMs: Int64) {
        producers = producers.filter { _, entry in
            entry.currentTransactionFirstOffset != nil || now - entry.lastTimestamp < expirationMs
        }
    }

    /// Forgets producers whose last batch is below the new log start offset (their data is gone).
    public mutating func removeProducers(before logStartOffset: Int64) {
        producers = producers.filter { _, entry in
            entry.currentTransactionFirstOffset != nil || entry.lastOffset >= logStartOffset
        }
    }

    /// Restores an entry from a snapshot.
    mutating func restore(_ entry: ProducerStateEntry) {
        producers[entry.producerId] = entry
        if let first = entry.currentTransactionFirstOffset { ongoing[first] = entry.producerId }
    }
}
