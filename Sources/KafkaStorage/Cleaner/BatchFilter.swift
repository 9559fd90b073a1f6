import KafkaProtocol
import NIOCore

/// The cleaner's per-batch decision (Kafka's `Cleaner.shouldRetainRecord` and `MemoryRecords.filterTo`): which
/// records of a batch stay, and whether the batch is copied as it is, rebuilt, emptied or dropped.
///
/// Offsets are never changed: a rebuilt batch keeps its base offset, its records their offset deltas, and its
/// lastOffsetDelta the original one (so the producer's last sequence stays what it was); it is compressed with
/// the batch's own codec. Tombstones and transaction markers get a delete horizon (attribute bit 6, the horizon
/// in baseTimestamp, KIP-534) the first time a cleaning keeps them and are removed by the first cleaning after it.
struct BatchFilter {
    /// What to write for a batch.
    enum Decision {
        /// Copy the batch's bytes unchanged.
        case keep
        /// Leave the batch out.
        case drop
        /// Write these bytes (one batch) instead.
        case replace(ByteBuffer)
    }

    struct Outcome {
        var decision: Decision
        var recordsRead = 0
        var recordsRetained = 0
        /// The delete horizon of the batch as written, nil when it has none.
        var deleteHorizon: Int64?
    }

    let map: OffsetMap
    let now: Int64
    let deleteRetentionMs: Int64
    let lastDataOffsets: [Int64: Int64]

    /// Decides for one batch below the first uncleanable offset, feeding `transactions` in offset order.
    func filter(_ batch: RecordBatch, _ summary: BatchSummary, transactions: inout CleanedTransactions) throws -> Outcome {
        let header = batch.header
        let horizonPassed = header.deleteHorizon.map { now >= $0 } ?? false
        if summary.isControl {
            let canDiscard = transactions.onControlBatch(summary, marker: summary.isTransactionMarker ? MarkerInfo.read(from: batch) : nil)
            var outcome = Outcome(decision: .keep, recordsRead: Int(summary.recordsCount),
                                  recordsRetained: Int(summary.recordsCount), deleteHorizon: header.deleteHorizon)
            if canDiscard && horizonPassed {
                outcome.decision = .drop
                outcome.recordsRetained = 0
                outcome.deleteHorizon = nil
            } else if canDiscard && !header.hasDeleteHorizon {
                var records: [Record] = []
                var iterator = try batch.records()
                while let record = try iterator.next() { records.append(record) }
                let horizon = now &+ deleteRetentionMs
                outcome.decision = .replace(try rebuild(header, records, horizon: horizon))
                outcome.deleteHorizon = horizon
            }
            return outcome
        }
        let aborted = transactions.onBatch(summary)
        var outcome = Outcome(decision: .keep, recordsRead: Int(summary.recordsCount))
        var kept: [Record] = []
        var removed = aborted
        var containsTombstone = false
        if !aborted {
            var iterator = try batch.records()
            while let record = try iterator.next() {
                // Keyless records cannot be compacted; Kafka's cleaner drops them.
                guard let key = record.key, record.offset >= map.get(key) else {
                    removed = true
                    continue
                }
                if record.value == nil {
                    if horizonPassed {
                        removed = true
                        continue
                    }
                    containsTombstone = true
                }
                kept.append(record)
            }
        }
        outcome.recordsRetained = kept.count
        let needsHorizon = containsTombstone && !header.hasDeleteHorizon
        let horizon = header.deleteHorizon ?? (needsHorizon ? now &+ deleteRetentionMs : nil)
        outcome.deleteHorizon = containsTombstone ? horizon : nil
        if !removed && !needsHorizon { return outcome }
        if kept.isEmpty {
            // The producer's last data batch stays, empty, so that its epoch and sequence survive (BatchRetention
            // RETAIN_EMPTY); any other emptied batch goes.
            if summary.producerId >= 0, lastDataOffsets[summary.producerId] == summary.lastOffset {
                outcome.decision = summary.recordsCount == 0 ? .keep : .replace(try emptyBatch(header))
            } else {
                outcome.decision = .drop
            }
            outcome.deleteHorizon = nil
            return outcome
        }
        outcome.decision = .replace(try rebuild(header, kept, horizon: horizon))
        return outcome
    }

    /// The batch with only `records`, its header values and codec kept; with a horizon, baseTimestamp holds it
    /// and the records' timestamp deltas are taken from it.
    private func rebuild(_ header: RecordBatchHeader, _ records: [Record], horizon: Int64?) throws -> ByteBuffer {
        let base = horizon ?? records[0].timestamp
        var builder = RecordBatchBuilder(
            compression: header.compression ?? .none, baseOffset: header.baseOffset,
            partitionLeaderEpoch: header.partitionLeaderEpoch, producerId: header.producerId,
            producerEpoch: header.producerEpoch, baseSequence: header.baseSequence,
            isTransactional: header.isTransactional, isControl: header.isControl,
            logAppendTime: header.timestampType == .logAppendTime ? header.maxTimestamp : nil,
            baseTimestamp: base, hasDeleteHorizon: horizon != nil,
            initialCapacity: RecordBatchHeader.size + records.reduce(0) { $0 + $1.sizeInBytes + 8 })
        for var record in records {
            record.timestampDelta = record.timestamp &- base
            try builder.append(record)
        }
        return try builder.build(lastOffsetDelta: header.lastOffsetDelta)
    }

    /// A batch with no records that keeps the header's producer fields, offsets and maxTimestamp (Kafka's
    /// `writeEmptyHeader`).
    private func emptyBatch(_ header: RecordBatchHeader) throws -> ByteBuffer {
        let builder = RecordBatchBuilder(
            compression: .none, baseOffset: header.baseOffset, partitionLeaderEpoch: header.partitionLeaderEpoch,
            producerId: header.producerId, producerEpoch: header.producerEpoch, baseSequence: header.baseSequence,
            isTransactional: header.isTransactional, isControl: header.isControl,
            baseTimestamp: header.maxTimestamp, initialCapacity: RecordBatchHeader.size)
        var bytes = try builder.build(lastOffsetDelta: header.lastOffsetDelta)
        try RecordBatchHeader.setMaxTimestamp(header.maxTimestamp, timestampType: header.timestampType,
                                              in: &bytes, batchAt: bytes.readerIndex)
        return bytes
    }
}
