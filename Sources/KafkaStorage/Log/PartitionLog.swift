import KafkaProtocol
import NIOCore

/// The log of one partition replica: a directory `<topic>-<partition>` of segments in Kafka's layout, with its
/// offsets (log start, log end, high watermark, recovery point), producer state, leader-epoch history and
/// aborted-transaction index.
///
/// Synchronous and not thread-safe: one caller at a time (`LogManager` wraps each log in a lock). Time is passed
/// in (`now`, milliseconds); the log never reads a clock. After a failed write or fsync the log refuses further
/// writes (`StorageError.logFailed`) until it is reopened, which runs recovery — the broker should treat the
/// log directory as offline, as Kafka does.
public final class PartitionLog {
    public let topicPartition: TopicPartition
    public let directory: String
    public internal(set) var config: LogConfig
    let cache: FileHandleCache
    var fileSystem: any FileSystem { cache.fileSystem }

    /// Segments by base offset; the last one is active.
    var segments: [LogSegment]
    /// The first offset readable (advanced by retention and DeleteRecords).
    public internal(set) var logStartOffset: Int64
    /// The offset the next appended record gets.
    public internal(set) var logEndOffset: Int64
    /// Offsets below it are replicated to every in-sync replica; set by replication (for one replica: LEO).
    public internal(set) var highWatermark: Int64
    /// Offsets below it are fsynced; recovery after a crash starts from it.
    public internal(set) var recoveryPoint: Int64
    /// Idempotent/transactional producer state.
    public internal(set) var producerState: ProducerStateTable
    /// Leader epoch → start offset history (`leader-epoch-checkpoint`).
    public internal(set) var leaderEpochs: LeaderEpochCache
    /// The topic id from `partition.metadata`, nil when the file is absent.
    public internal(set) var topicId: KafkaUUID?

    /// What recovery did when this log was opened after an unclean shutdown; nil after a clean one.
    public internal(set) var recovery: RecoveryReport?
    /// Set by a failed write or fsync.
    var failure: StorageError?
    /// Messages appended since the last flush (`flush.messages`).
    var unflushedMessages: Int64 = 0
    /// Time of the first append not yet flushed (`flush.ms`).
    var firstUnflushedAppend: Int64?
    /// Segment files were created or removed since the directory was last fsynced.
    var directoryDirty = false
    /// `leaderEpochs` differs from `leader-epoch-checkpoint` only at or after the log end: an epoch assigned at the
    /// log end with nothing appended in it yet, or entries at or after the end that the load dropped. Opening the
    /// log drops such entries anyway, so writing them can wait for the next append, which writes the file before
    /// its records (see `persistDeferredLeaderEpochs`). Why: a node leading 10,000 partitions otherwise renames
    /// and fsyncs 10,000 files at every start before it serves (issue 14 item 5).
    var leaderEpochsDeferred = false
    /// What the files held when the log was opened after a clean shutdown with a producer snapshot at its end;
    /// nil otherwise. While the log still matches it, `close` has nothing to write or fsync.
    var cleanOpenState: CleanOpenState?
    /// Set by `close` and when the partition is deleted: a cleaner holding this instance must not swap into it.
    public internal(set) var isClosed = false
    /// Whether gaps between segments are legitimate (the log is or was compacted), so recovery keeps them.
    var mayHaveGaps = false
    /// Time of the last append or read, for idle-partition handling.
    public internal(set) var lastUsed: Int64

    init(topicPartition: TopicPartition, directory: String, config: LogConfig, cache: FileHandleCache,
         segments: [LogSegment], logStartOffset: Int64, logEndOffset: Int64, now: Int64) {
        self.topicPartition = topicPartition
        self.directory = directory
        self.config = config
        self.cache = cache
        self.segments = segments
        self.logStartOffset = logStartOffset
        self.logEndOffset = logEndOffset
        self.highWatermark = logStartOffset
        self.recoveryPoint = logEndOffset
        self.producerState = ProducerStateTable()
        self.leaderEpochs = LeaderEpochCache()
        self.lastUsed = now
    }

    /// The active segment.
    var activeSegment: LogSegment { segments[segments.count - 1] }

    /// Base offsets of the segments, oldest first.
    public var segmentBaseOffsets: [Int64] { segments.map(\.baseOffset) }

    /// Bytes of all segments.
    public var sizeInBytes: Int64 { segments.reduce(0) { $0 + $1.size } }

    /// The last stable offset: the high watermark, or the first offset of the oldest open transaction when that
    /// is lower (`read_committed` fetches stop there).
    public var lastStableOffset: Int64 {
        if let unstable = producerState.firstUnstableOffset, unstable < highWatermark { return unstable }
        return highWatermark
    }

    /// Whether a write or fsync failed (the log must be reopened).
    public var hasFailed: Bool { failure != nil }

    func ensureWritable() throws {
        if let failure { throw StorageError.logFailed("\(topicPartition): \(failure)") }
    }

    /// Records a fatal I/O failure and rethrows it.
    func fail(_ error: Error) -> Error {
        let storageError = error as? StorageError ?? .logFailed("\(error)")
        if failure == nil { failure = storageError }
        return error
    }

    /// Sets the high watermark, clamped to [logStartOffset, logEndOffset].
    public func updateHighWatermark(_ offset: Int64) {
        highWatermark = min(max(offset, logStartOffset), logEndOffset)
    }

    /// Index of the segment holding `offset` (the last one whose base offset is at most it), nil below the first.
    func segmentIndex(for offset: Int64) -> Int? {
        var low = 0
        var high = segments.count - 1
        var found: Int?
        while low <= high {
            let mid = (low + high) / 2
            if segments[mid].baseOffset <= offset {
                found = mid
                low = mid + 1
            } else {
                high = mid - 1
            }
        }
        return found
    }

    func path(_ name: String) -> String { FilePath.join(directory, name) }

    /// Writes `leader-epoch-checkpoint`.
    func writeLeaderEpochs() throws {
        try fileSystem.writeAtomically(path(LeaderEpochCache.fileName), text: leaderEpochs.text)
        leaderEpochsDeferred = false
    }

    /// Writes the leader epochs whose write was deferred; called before records are appended past the log end,
    /// where the deferred difference would start to matter.
    func persistDeferredLeaderEpochs() throws {
        if leaderEpochsDeferred { try writeLeaderEpochs() }
    }

    /// Writes `partition.metadata` with the topic id (once, when the partition is created or first learns it).
    public func setTopicId(_ id: KafkaUUID) throws {
        guard topicId != id else { return }
        try fileSystem.writeAtomically(path(PartitionMetadataFile.fileName), text: PartitionMetadataFile.format(topicId: id))
        topicId = id
    }
}

/// What log recovery found in one partition (Kafka logs the same at info: segments re-read, bytes truncated).
public struct RecoveryReport: Sendable, Equatable {
    /// Segments re-read and checked batch by batch.
    public var segmentsChecked = 0
    /// Bytes cut off the end of segments: a torn or unsynced tail, or a bad batch and what followed it.
    public var truncatedBytes: Int64 = 0
    /// Whole segments deleted because they followed a truncation or a hole.
    public var segmentsDeleted = 0
    /// The log end offset after recovery.
    public var logEndOffset: Int64 = 0

    public init() {}
}

/// The parts of a log any write changes: its segments (identity, so a cleaner's swap counts), the active segment's
/// size and the log's start and end.
struct CleanOpenState: Equatable {
    var segments: [ObjectIdentifier]
    var activeSize: Int64
    var logStartOffset: Int64
    var logEndOffset: Int64

    init(_ log: PartitionLog) {
        segments = log.segments.map(ObjectIdentifier.init)
        activeSize = log.activeSegment.size
        logStartOffset = log.logStartOffset
        logEndOffset = log.logEndOffset
    }
}
