/// The log cleaner's pure decisions (Kafka's `LogCleanerManager.cleanableOffsets`, `grabFilthiestCompactedLog`
/// and `Cleaner.groupSegmentsBySize`): which part of a log is dirty, whether it is worth cleaning, and how its
/// segments are grouped into the new segments. No I/O: callers describe the log.
public enum CleanerPlanner {
    /// What the planner knows about one segment.
    public struct Segment: Sendable, Hashable {
        public var baseOffset: Int64
        public var size: Int64
        /// The largest batch timestamp (or the file's modification time when none): `min.compaction.lag.ms`.
        public var largestTimestamp: Int64
        /// The first batch's maxTimestamp, nil when empty or unknown: `max.compaction.lag.ms`.
        public var firstBatchTimestamp: Int64?

        public init(baseOffset: Int64, size: Int64, largestTimestamp: Int64, firstBatchTimestamp: Int64?) {
            self.baseOffset = baseOffset
            self.size = size
            self.largestTimestamp = largestTimestamp
            self.firstBatchTimestamp = firstBatchTimestamp
        }
    }

    /// A log as the cleaner sees it: its segments (the last one active) and offsets.
    public struct LogState: Sendable, Hashable {
        public var segments: [Segment]
        public var logStartOffset: Int64
        public var logEndOffset: Int64
        /// The last stable offset (at most the high watermark): nothing at or above it is cleaned.
        public var lastStableOffset: Int64
        /// `cleaner-offset-checkpoint`: where the previous cleaning ended; nil when never cleaned.
        public var checkpoint: Int64?
        /// The earliest delete horizon the cleaner stamped on tombstones or markers still in the log, if any.
        public var pendingDeleteHorizon: Int64?

        public init(segments: [Segment], logStartOffset: Int64, logEndOffset: Int64, lastStableOffset: Int64,
                    checkpoint: Int64?, pendingDeleteHorizon: Int64? = nil) {
            self.segments = segments
            self.logStartOffset = logStartOffset
            self.logEndOffset = logEndOffset
            self.lastStableOffset = lastStableOffset
            self.checkpoint = checkpoint
            self.pendingDeleteHorizon = pendingDeleteHorizon
        }
    }

    /// The cleanable part of a log and how dirty it is (Kafka's `LogToClean`).
    public struct Assessment: Sendable, Hashable {
        /// Where the dirty section starts (the checkpoint, clamped into the log).
        public var firstDirtyOffset: Int64
        /// Nothing at or above this is cleaned: the active segment, the last stable offset, `min.compaction.lag.ms`.
        public var firstUncleanableOffset: Int64
        /// Bytes of the segments before the dirty section.
        public var cleanBytes: Int64
        /// Bytes of the segments of the dirty section.
        public var cleanableBytes: Int64
        /// `max.compaction.lag.ms` passed for the first dirty batch.
        public var needCompactionNow: Bool
        /// Tombstones or markers in the clean section reached their delete horizon.
        public var deleteHorizonPassed: Bool

        /// cleanableBytes / (cleanBytes + cleanableBytes), 0 for an empty log.
        public var cleanableRatio: Double {
            let total = cleanBytes + cleanableBytes
            return total > 0 ? Double(cleanableBytes) / Double(total) : 0
        }

        /// Kafka's filter on dirty logs: forced by the maximum lag, else a ratio above `min.cleanable.dirty.ratio`;
        /// also (KIP-534) when tombstones or markers are due for removal.
        public func isCleanable(minCleanableRatio: Double) -> Bool {
            (needCompactionNow && cleanableBytes > 0) || (cleanableBytes > 0 && cleanableRatio > minCleanableRatio)
                || deleteHorizonPassed
        }
    }

    /// Kafka's `cleanableOffsets` plus the byte counts of `LogToClean`.
    public static func assess(_ log: LogState, config: LogConfig, now: Int64) -> Assessment {
        var firstDirty = log.checkpoint ?? log.logStartOffset
        // A checkpoint outside the log (the log was truncated or its start moved) restarts from the log start.
        if firstDirty < log.logStartOffset || firstDirty > log.logEndOffset { firstDirty = log.logStartOffset }
        let active = log.segments.last?.baseOffset ?? log.logStartOffset
        var uncleanable = min(log.lastStableOffset, active)
        // Index of the segment holding firstDirty.
        let dirtyStart = log.segments.lastIndex { $0.baseOffset <= firstDirty } ?? 0
        if config.minCompactionLagMs > 0 {
            for segment in log.segments[dirtyStart..<max(dirtyStart, log.segments.count - 1)]
            where segment.largestTimestamp > now - config.minCompactionLagMs {
                uncleanable = min(uncleanable, segment.baseOffset)
                break
            }
        }
        uncleanable = max(uncleanable, firstDirty)
        var needNow = false
        if config.maxCompactionLagMs < .max, dirtyStart < log.segments.count,
           let first = log.segments[dirtyStart].firstBatchTimestamp, first >= 0 {
            needNow = now - first > config.maxCompactionLagMs
        }
        var clean: Int64 = 0
        var dirty: Int64 = 0
        for (i, segment) in log.segments.enumerated() {
            let next = i + 1 < log.segments.count ? log.segments[i + 1].baseOffset : Int64.max
            if next <= firstDirty {
                clean += segment.size
            } else if segment.baseOffset < uncleanable {
                dirty += segment.size
            }
        }
        let horizon = log.pendingDeleteHorizon.map { now >= $0 } ?? false
        return Assessment(firstDirtyOffset: firstDirty, firstUncleanableOffset: uncleanable, cleanBytes: clean,
                          cleanableBytes: dirty, needCompactionNow: needNow, deleteHorizonPassed: horizon)
    }

    /// The dirtiest of several assessed logs that is cleanable (Kafka picks the highest ratio), as an index.
    public static func filthiest(_ logs: [(Assessment, LogConfig)]) -> Int? {
        var best: Int?
        for (i, (assessment, config)) in logs.enumerated()
        where assessment.isCleanable(minCleanableRatio: config.minCleanableDirtyRatio) {
            if best == nil || assessment.cleanableRatio > logs[best!].0.cleanableRatio { best = i }
        }
        return best
    }

    /// Groups consecutive segments (the ones a cleaning rewrites, in order) into runs that become one new segment
    /// each: at most `maxBytes` (`segment.bytes`) together, and offsets within 2^31 of the group's base
    /// (Kafka's `groupSegmentsBySize`). `nextOffsets[i]` is where segment i ends (the next one's base offset or the
    /// log end). Returns index ranges.
    public static func groups(_ segments: [Segment], nextOffsets: [Int64], maxBytes: Int64) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var start = 0
        while start < segments.count {
            var end = start + 1
            var bytes = segments[start].size
            while end < segments.count, bytes + segments[end].size <= maxBytes,
                  nextOffsets[end] - 1 - segments[start].baseOffset <= Int64(Int32.max) {
                bytes += segments[end].size
                end += 1
            }
            result.append(start..<end)
            start = end
        }
        return result
    }
}
