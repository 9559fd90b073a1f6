import KafkaProtocol
import NIOCore

extension LogSegment {
    /// The first batch whose last offset is at least `offset` (the batch holding it, or the next one), found by
    /// an index lookup and a walk over headers; nil when the segment has none before `end`.
    func locate(_ offset: Int64, end: Int64? = nil) throws -> BatchSummary? {
        let start = try indexes().offsetIndex.lookup(offset).position
        var found: BatchSummary?
        try SegmentScanner.forEachHeader(in: try logFile(), from: start, to: end ?? size) { batch in
            if batch.lastOffset >= offset {
                found = batch
                return false
            }
            return true
        }
        return found
    }

    /// Byte range for a fetch from `offset` (Kafka's `LogSegment.read`).
    ///
    /// - Parameters:
    ///   - maxBytes: the size limit; with `minOneBatch` the first batch is returned whole even when larger.
    ///   - maxPosition: bytes at or after this position are not returned (the high watermark's or last stable
    ///     offset's batch position, or the size the log had when the read started).
    /// - Returns: nil when no batch at or after `offset` starts before `maxPosition`.
    func read(from offset: Int64, maxBytes: Int, maxPosition: Int64, minOneBatch: Bool) throws -> LogReadRegion? {
        guard let first = try locate(offset, end: size), first.position < maxPosition else { return nil }
        let limit = minOneBatch ? max(maxBytes, first.size) : maxBytes
        let length = Int(min(maxPosition - first.position, Int64(limit)))
        guard length > 0 else { return nil }
        return LogReadRegion(file: try logFile(), position: first.position, length: length, firstBatchOffset: first.baseOffset)
    }

    /// The first record at or after `startingOffset` whose timestamp is at least `timestamp` (ListOffsets by
    /// timestamp). Only the batch that holds it is read whole; earlier batches are skipped by their headers.
    func findOffset(forTimestamp timestamp: Int64, startingOffset: Int64) throws -> TimestampOffset? {
        let indexes = try indexes()
        let entry = indexes.timeIndex.lookup(timestamp)
        let from = indexes.offsetIndex.lookup(max(entry.offset, startingOffset)).position
        let file = try logFile()
        var result: TimestampOffset?
        var failure: Error?
        try SegmentScanner.forEachHeader(in: file, from: from, to: size) { batch in
            guard batch.maxTimestamp >= timestamp, batch.lastOffset >= startingOffset else { return true }
            do {
                let bytes = try file.read(at: batch.position, count: batch.size)
                try RecordBatch(bytes).forEachRecord { record in
                    if result == nil, record.timestamp >= timestamp, record.offset >= startingOffset {
                        result = TimestampOffset(timestamp: record.timestamp, offset: record.offset)
                    }
                }
            } catch {
                failure = error
                return false
            }
            return result == nil
        }
        if let failure { throw failure }
        return result
    }

    /// The record holding the segment's largest timestamp (ListOffsets MAX_TIMESTAMP): the batch is located
    /// through the time index's last entry and its records are searched for the first with that timestamp.
    func maxTimestampRecord() throws -> TimestampOffset? {
        let entry: TimestampOffset
        if let active { entry = active.maxTimestampSoFar } else if let last = try indexes().timeIndex.last { entry = last } else {
            return nil
        }
        guard entry.timestamp >= 0, let batch = try locate(entry.offset) else { return nil }
        var result: TimestampOffset?
        try RecordBatch(try logFile().read(at: batch.position, count: batch.size)).forEachRecord { record in
            if result == nil, record.timestamp == entry.timestamp {
                result = TimestampOffset(timestamp: record.timestamp, offset: record.offset)
            }
        }
        return result ?? TimestampOffset(timestamp: entry.timestamp, offset: batch.lastOffset)
    }

    /// Cuts the segment before the batch that holds `offset` (or the first batch after it); the segment becomes
    /// active with indexes rebuilt from what remains. Returns the offset after the last remaining batch, or nil
    /// when nothing remains (its base offset is then the end).
    @discardableResult
    func truncate(to offset: Int64) throws -> Int64? {
        if let batch = try locate(offset) {
            try logFile().truncate(to: batch.position)
            size = batch.position
            logDirty = true
        }
        cache.invalidate(prefix: path("."))
        var builder = try rebuildIndexes()
        builder.bytesSinceLastIndexEntry = 0
        active = builder
        indexFilesStale = true
        cachedLargestTimestamp = nil
        let kept = abortedTransactions.filter { $0.lastOffset < offset }
        if kept.count != abortedTransactions.count {
            abortedTransactions = kept
            persistedAbortedCount = Int.max
        }
        try writePendingIndexes()
        return builder.nextOffset
    }
}
