/// The log's pure decisions: when to roll the active segment and which old segments retention removes.
/// No I/O: callers pass what they know about the segments.
public enum LogPlanner {
    /// What a roll decision needs to know about the active segment.
    public struct ActiveSegmentState: Sendable, Hashable {
        public var baseOffset: Int64
        public var size: Int64
        /// maxTimestamp of its first batch, nil when empty.
        public var rollingBasedTimestamp: Int64?
        /// Creation time in ms.
        public var created: Int64
        /// Whether an index has no room left.
        public var indexFull: Bool

        public init(baseOffset: Int64, size: Int64, rollingBasedTimestamp: Int64?, created: Int64, indexFull: Bool) {
            self.baseOffset = baseOffset
            self.size = size
            self.rollingBasedTimestamp = rollingBasedTimestamp
            self.created = created
            self.indexFull = indexFull
        }
    }

    /// Kafka's `LogSegment.shouldRoll`: a non-empty segment rolls when the append would pass `segment.bytes`,
    /// when `segment.ms` passed since its first batch's timestamp (or its creation when batches carry none),
    /// when an index is full, or when the append's last offset no longer fits a 32-bit relative offset.
    public static func shouldRoll(
        _ segment: ActiveSegmentState, appendBytes: Int, appendMaxTimestamp: Int64, appendLastOffset: Int64,
        now: Int64, config: LogConfig
    ) -> Bool {
        guard segment.size > 0 else { return false }
        if segment.size > config.segmentBytes - Int64(appendBytes) { return true }
        let waited: Int64
        if let first = segment.rollingBasedTimestamp, first >= 0 { waited = appendMaxTimestamp - first } else {
            waited = now - segment.created
        }
        if waited > config.segmentMs { return true }
        if segment.indexFull { return true }
        return appendLastOffset - segment.baseOffset > Int64(Int32.max)
    }

    /// What retention knows about a segment.
    public struct SegmentState: Sendable, Hashable {
        public var baseOffset: Int64
        public var size: Int64
        /// Largest batch timestamp, or the file's modification time when none.
        public var largestTimestamp: Int64

        public init(baseOffset: Int64, size: Int64, largestTimestamp: Int64) {
            self.baseOffset = baseOffset
            self.size = size
            self.largestTimestamp = largestTimestamp
        }
    }

    /// Why segments are deleted.
    public enum DeletionReason: Sendable, Hashable {
        case logStartOffset
        case retentionTime
        case retentionSize
    }

    /// How many of the oldest segments to delete (Kafka's deleteOldSegments): those wholly below the log start
    /// offset, then those older than `retentionMs`, then as many as it takes to bring the log within
    /// `retentionBytes`. A segment is deletable only when all of it is below the high watermark; the active
    /// (last) segment never is.
    public static func segmentsToDelete(
        _ segments: [SegmentState], logStartOffset: Int64, highWatermark: Int64, now: Int64,
        retentionMs: Int64?, retentionBytes: Int64?
    ) -> (count: Int, reason: DeletionReason?) {
        // Index i is deletable when the next segment starts at or below the high watermark.
        func deletable(_ i: Int) -> Bool { i + 1 < segments.count && segments[i + 1].baseOffset <= highWatermark }
        var count = 0
        while deletable(count), segments[count + 1].baseOffset <= logStartOffset { count += 1 }
        if count > 0 { return (count, .logStartOffset) }
        if let retentionMs, retentionMs >= 0 {
            while deletable(count), now - segments[count].largestTimestamp > retentionMs { count += 1 }
            if count > 0 { return (count, .retentionTime) }
        }
        if let retentionBytes, retentionBytes >= 0 {
            var excess = segments.reduce(Int64(0)) { $0 + $1.size } - retentionBytes
            while deletable(count), excess - segments[count].size >= 0 {
                excess -= segments[count].size
                count += 1
            }
            if count > 0 { return (count, .retentionSize) }
        }
        return (0, nil)
    }
}
