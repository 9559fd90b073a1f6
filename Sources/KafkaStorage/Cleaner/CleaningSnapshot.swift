/// A consistent description of one log, taken under the partition lock, from which the cleaner works without
/// the lock: the rolled segments it may read (their files are immutable until a swap, truncation or retention
/// removes them, which the swap detects) and the offsets that bound the cleaning.
public struct CleaningSnapshot: Sendable {
    /// A rolled segment.
    public struct Segment: Sendable, Hashable {
        public var baseOffset: Int64
        public var size: Int64
        public var logPath: String
        public var largestTimestamp: Int64
        public var firstBatchTimestamp: Int64?
        public var abortedTransactions: [AbortedTransaction]
    }

    public var topicPartition: TopicPartition
    public var directory: String
    /// Rolled segments in offset order (never the active one).
    public var segments: [Segment]
    public var activeBaseOffset: Int64
    public var activeSize: Int64
    public var logStartOffset: Int64
    public var logEndOffset: Int64
    public var lastStableOffset: Int64
    /// The high watermark when the snapshot was taken. Records at or above it may still be truncated on a
    /// failover (a new leader without them), so they must never shadow an older value: the cleaner stops below it
    /// even where `lastStableOffset` would allow more (it cannot today — the LSO is capped by it — but the bound
    /// is what keeps acknowledged records, so it is stated here rather than inherited).
    public var highWatermark: Int64
    /// Producer id → last offset of its last data batch: that batch is kept (perhaps emptied) so the producer's
    /// sequence survives a reload (Kafka's `lastRecordsOfActiveProducers`).
    public var lastDataOffsets: [Int64: Int64]
    public var config: LogConfig

    /// The planner's view (the active segment last).
    public func plannerState(checkpoint: Int64?, pendingDeleteHorizon: Int64?) -> CleanerPlanner.LogState {
        var planned = segments.map {
            CleanerPlanner.Segment(baseOffset: $0.baseOffset, size: $0.size, largestTimestamp: $0.largestTimestamp,
                                   firstBatchTimestamp: $0.firstBatchTimestamp)
        }
        planned.append(.init(baseOffset: activeBaseOffset, size: activeSize, largestTimestamp: .max, firstBatchTimestamp: nil))
        return .init(segments: planned, logStartOffset: logStartOffset, logEndOffset: logEndOffset,
                     lastStableOffset: min(lastStableOffset, highWatermark), checkpoint: checkpoint, pendingDeleteHorizon: pendingDeleteHorizon)
    }

    /// Where segment `i` ends: the next segment's base offset.
    func nextOffset(_ i: Int) -> Int64 { i + 1 < segments.count ? segments[i + 1].baseOffset : activeBaseOffset }
}

/// A rewritten group of segments waiting in `.cleaned` files to be swapped in (`PartitionLog.replaceSegments`).
public struct CleanedSegment: Sendable {
    /// The new segment's base offset: the first replaced segment's.
    public var baseOffset: Int64
    /// The replaced segments (base offset, size), which must still be in the log, unchanged, for the swap.
    public var replaced: [ReplacedSegment]
    public var size: Int64
    public var largestTimestamp: Int64
    var indexes: FileHandleCache.LoadedIndexes
    public var abortedTransactions: [AbortedTransaction]

    public struct ReplacedSegment: Sendable, Hashable {
        public var baseOffset: Int64
        public var size: Int64
    }
}

/// What one cleaning pass did (Kafka's `CleanerStats`), for logs and the figures command.
public struct CleanerStats: Sendable, Hashable {
    public var bytesRead: Int64 = 0
    public var bytesWritten: Int64 = 0
    public var mapBytesRead: Int64 = 0
    public var recordsRead: Int64 = 0
    public var recordsRetained: Int64 = 0
    public var mapRecords: Int64 = 0
    public var batchesRebuilt = 0
    public var segmentsSwapped = 0
    public var groupsUnchanged = 0
    /// Bytes of the offset map.
    public var mapMemoryBytes = 0

    public init() {}

    public mutating func add(_ other: CleanerStats) {
        bytesRead += other.bytesRead
        bytesWritten += other.bytesWritten
        mapBytesRead += other.mapBytesRead
        recordsRead += other.recordsRead
        recordsRetained += other.recordsRetained
        mapRecords += other.mapRecords
        batchesRebuilt += other.batchesRebuilt
        segmentsSwapped += other.segmentsSwapped
        groupsUnchanged += other.groupsUnchanged
        mapMemoryBytes = max(mapMemoryBytes, other.mapMemoryBytes)
    }
}
