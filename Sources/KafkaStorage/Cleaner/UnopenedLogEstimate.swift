/// How dirty a compacted log that is not open looks from its directory listing alone — segment file names and
/// sizes, modification times, the checkpoints — so the cleaner can consider every log, as Kafka's does, without
/// opening (and perhaps recovering) each one to find out. Pure: callers list the directory.
///
/// The estimate only decides whether a log is worth opening. Once open, the cleaner assesses the real log
/// (timestamps from the indexes, the producer state's last stable offset) as for any other; a log the estimate
/// over-rated is remembered by its `signature` and not opened again until its files change.
public enum UnopenedLogEstimate {
    /// One `.log` file of the directory: its base offset, size, and modification time as its largest timestamp
    /// (no later than its last append; `min.compaction.lag.ms`).
    public typealias SegmentFile = LogPlanner.SegmentState

    /// What identifies the log's contents for the "over-rated, do not reopen" memory: base offsets and sizes.
    public static func signature(_ files: [SegmentFile]) -> [Int64] {
        files.sorted { $0.baseOffset < $1.baseOffset }.flatMap { [$0.baseOffset, $0.size] }
    }

    /// The planner's view of the log: the last file is the active segment; the log end is unknown without reading
    /// it, so it is taken as unbounded (a checkpoint inside the active segment then reads as "nothing dirty",
    /// which is what the open log would say); the last stable offset is at most the checkpointed high watermark,
    /// which is where the opened log starts (or its log start when none was checkpointed).
    public static func state(_ files: [SegmentFile], checkpoints: PartitionLog.Checkpoints) -> CleanerPlanner.LogState? {
        let sorted = files.sorted { $0.baseOffset < $1.baseOffset }
        guard let first = sorted.first else { return nil }
        let logStart = max(checkpoints.logStartOffset ?? first.baseOffset, first.baseOffset)
        var segments = sorted.map {
            CleanerPlanner.Segment(baseOffset: $0.baseOffset, size: $0.size, largestTimestamp: $0.largestTimestamp,
                                   firstBatchTimestamp: nil)
        }
        segments[segments.count - 1].largestTimestamp = .max
        let highWatermark = checkpoints.highWatermark ?? logStart
        return .init(segments: segments, logStartOffset: logStart, logEndOffset: .max,
                     lastStableOffset: max(highWatermark, logStart),
                     checkpoint: checkpoints.cleanerOffset)
    }
}
