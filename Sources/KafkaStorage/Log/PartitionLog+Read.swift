import KafkaProtocol
import NIOCore

extension PartitionLog {
    /// Reads from `offset` for a fetch (Kafka's `UnifiedLog.read`): a region of one segment, starting at the batch
    /// that holds `offset`, at most `maxBytes` long — but always the whole first batch when `minOneBatch` (the
    /// first partition of a Fetch response) — and ending before `maxOffset` (pass the high watermark for
    /// consumers, the last stable offset for `read_committed`, nil for followers).
    ///
    /// Throws `.offsetOutOfRange` when `offset` is below the log start or above the log end.
    public func read(from offset: Int64, maxBytes: Int, maxOffset: Int64? = nil, minOneBatch: Bool = true,
                     now: Int64? = nil) throws -> LogReadResult {
        if let now { lastUsed = now }
        var result = LogReadResult(region: nil, highWatermark: highWatermark, lastStableOffset: lastStableOffset,
                                   logStartOffset: logStartOffset, logEndOffset: logEndOffset)
        guard offset >= logStartOffset, offset <= logEndOffset else {
            throw StorageError.offsetOutOfRange(requested: offset, logStartOffset: logStartOffset, logEndOffset: logEndOffset)
        }
        let limit = min(maxOffset ?? logEndOffset, logEndOffset)
        guard offset < limit, var index = segmentIndex(for: offset) else { return result }
        var from = offset
        while index < segments.count {
            let segment = segments[index]
            let nextBase = index + 1 < segments.count ? segments[index + 1].baseOffset : Int64.max
            var maxPosition = segment.size
            if limit < nextBase, limit < logEndOffset { maxPosition = try segment.locate(limit)?.position ?? segment.size }
            if let region = try segment.read(from: from, maxBytes: maxBytes, maxPosition: maxPosition, minOneBatch: minOneBatch) {
                result.region = region
                return result
            }
            if limit <= nextBase { break }
            index += 1
            from = nextBase
        }
        return result
    }

    /// The aborted transactions a `read_committed` fetch from `offset` must report, up to `upperBound` (the end of
    /// the data returned, or the last stable offset): those whose range overlaps [offset, upperBound).
    public func collectAbortedTransactions(from offset: Int64, upTo upperBound: Int64) -> [AbortedTransaction] {
        guard let first = segmentIndex(for: offset) ?? (segments.isEmpty ? nil : 0) else { return [] }
        var result: [AbortedTransaction] = []
        for segment in segments[first...] {
            let (found, complete) = TransactionIndex.collect(segment.abortedTransactions, from: offset, upTo: upperBound)
            result += found
            if complete { break }
        }
        return result
    }

    /// ListOffsets: the offset (and timestamp) for `spec`; nil when no record qualifies (the broker answers
    /// offset -1, timestamp -1). `.latest` is the log end; the broker caps it for its isolation level.
    public func offset(for spec: OffsetSpec) throws -> TimestampOffset? {
        switch spec {
        case .earliest:
            return TimestampOffset(timestamp: -1, offset: logStartOffset)
        case .latest:
            return TimestampOffset(timestamp: -1, offset: logEndOffset)
        case .maxTimestamp:
            var best: (LogSegment, Int64)?
            for segment in segments {
                let largest = try segmentMaxTimestamp(segment)
                if largest >= 0, largest > (best?.1 ?? -1) { best = (segment, largest) }
            }
            guard let (segment, _) = best, let found = try segment.maxTimestampRecord() else { return nil }
            return found.offset >= logStartOffset ? found : nil
        case .timestamp(let target):
            for segment in segments where segment.size > 0 {
                guard try segmentMaxTimestamp(segment) >= target else { continue }
                if let found = try segment.findOffset(forTimestamp: target, startingOffset: logStartOffset) { return found }
            }
            return nil
        }
    }

    /// The largest batch timestamp in a segment from its indexes (no modification-time fallback), -1 when none.
    func segmentMaxTimestamp(_ segment: LogSegment) throws -> Int64 {
        if let active = segment.active { return active.maxTimestampSoFar.timestamp }
        return try segment.indexes().timeIndex.last?.timestamp ?? -1
    }

    /// OffsetsForLeaderEpoch: the largest epoch at most `epoch` and its end offset.
    public func endOffset(forLeaderEpoch epoch: Int32) -> (epoch: Int32, endOffset: Int64)? {
        leaderEpochs.endOffset(for: epoch, logEndOffset: logEndOffset)
    }
}
