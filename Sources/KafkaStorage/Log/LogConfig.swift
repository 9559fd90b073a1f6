/// Per-topic log settings, with Kafka's names and defaults.
public struct LogConfig: Sendable, Hashable {
    /// `segment.bytes`: roll when the active segment would pass this size (1 GiB).
    public var segmentBytes: Int64 = 1 << 30
    /// `segment.ms`: roll when the active segment's first batch is this old (7 days).
    public var segmentMs: Int64 = 7 * 24 * 3_600_000
    /// `segment.index.bytes`: roll when an index would pass this size (10 MiB).
    public var segmentIndexBytes: Int = 10 << 20
    /// `index.interval.bytes`: log bytes between offset-index entries (4096).
    public var indexIntervalBytes: Int = 4096
    /// `retention.ms`: delete segments whose newest batch is older (7 days); nil keeps forever (-1 in Kafka).
    public var retentionMs: Int64? = 7 * 24 * 3_600_000
    /// `retention.bytes`: delete old segments while the log is larger; nil is unlimited (Kafka's default -1).
    public var retentionBytes: Int64?
    /// `flush.messages`: fsync after this many messages; nil leaves flushing to the OS (Kafka's default).
    public var flushMessages: Int64?
    /// `flush.ms`: fsync when the oldest unflushed append is this old; nil leaves it to the OS (default).
    public var flushMs: Int64?
    /// `producer.id.expiration.ms` (1 day).
    public var producerIdExpirationMs: Int64 = 86_400_000
    /// `cleanup.policy` contains `compact`: the log cleaner keeps only the last record of each key.
    public var compact = false
    /// `cleanup.policy` contains `delete` (the default): retention by time and size applies.
    public var delete = true
    /// `min.cleanable.dirty.ratio` (0.5): clean when dirty bytes / (clean + dirty bytes) exceeds it.
    public var minCleanableDirtyRatio = 0.5
    /// `min.compaction.lag.ms` (0): a record stays uncompacted at least this long.
    public var minCompactionLagMs: Int64 = 0
    /// `max.compaction.lag.ms` (Long.MAX): a dirty record older than this makes the log cleanable whatever its ratio.
    public var maxCompactionLagMs: Int64 = .max
    /// `delete.retention.ms` (1 day): how long tombstones and transaction markers outlive their first cleaning.
    public var deleteRetentionMs: Int64 = 86_400_000

    public init() {}
}

/// What an append did (Kafka's LogAppendInfo, the parts the broker answers with).
public struct LogAppendInfo: Hashable, Sendable {
    /// Offset of the first record appended.
    public var firstOffset: Int64
    /// Offset of the last record appended.
    public var lastOffset: Int64
    /// Largest batch maxTimestamp, -1 when none.
    public var maxTimestamp: Int64
    /// Last offset of the batch holding `maxTimestamp`.
    public var offsetOfMaxTimestamp: Int64
    /// Records appended (sum of recordsCount).
    public var recordsCount: Int
    /// Bytes appended.
    public var validBytes: Int
    /// The log start offset after the append.
    public var logStartOffset: Int64
    /// Transactions that markers in this append completed.
    public var completedTransactions: [CompletedTransaction]
}

/// What a fetch read: a region to send (nil when nothing is available) and the offsets a Fetch response
/// reports alongside.
public struct LogReadResult: Sendable {
    public var region: LogReadRegion?
    public var highWatermark: Int64
    public var lastStableOffset: Int64
    public var logStartOffset: Int64
    public var logEndOffset: Int64
}

/// Who is appending, which decides whether offsets are assigned.
public enum AppendOrigin: Sendable, Hashable {
    /// The leader appends producer or coordinator batches: offsets are assigned and the partition leader epoch
    /// written into each header.
    case leader(epoch: Int32)
    /// A follower appends batches fetched from the leader: offsets and epochs are kept, and must follow on.
    case replication
}

/// The target of a ListOffsets lookup.
public enum OffsetSpec: Sendable, Hashable {
    /// The log start offset (Kafka's timestamp -2).
    case earliest
    /// The log end offset (-1); the broker caps it at the high watermark or last stable offset as isolation needs.
    case latest
    /// The record with the largest timestamp (-3).
    case maxTimestamp
    /// The first record whose timestamp is at least this.
    case timestamp(Int64)

    /// Maps ListOffsets' timestamp field (-2, -1, -3 or a time); nil for other negative values.
    public init?(listOffsetsTimestamp value: Int64) {
        switch value {
        case -2: self = .earliest
        case -1: self = .latest
        case -3: self = .maxTimestamp
        case 0...: self = .timestamp(value)
        default: return nil
        }
    }
}
