import KafkaProtocol
import NIOCore

/// Where a partition's consumption starts.
public enum OffsetSpec: Sendable, Equatable {
    /// The log start offset (ListOffsets timestamp -2).
    case earliest
    /// The log end offset (ListOffsets timestamp -1): only records produced from now on.
    case latest
    /// A given offset.
    case offset(Int64)
}

/// Consumer settings; names and defaults are the Java consumer's.
public struct ConsumerConfig: Sendable {
    public var client: KafkaClientConfig
    /// `fetch.max.wait.ms` (500): how long the broker may hold a fetch waiting for `fetch.min.bytes`.
    public var fetchMaxWaitMs: Int32 = 500
    /// `fetch.min.bytes` (1).
    public var fetchMinBytes: Int32 = 1
    /// `fetch.max.bytes` (52428800).
    public var fetchMaxBytes: Int32 = 52_428_800
    /// `max.partition.fetch.bytes` (1048576).
    public var maxPartitionFetchBytes: Int32 = 1_048_576
    /// `isolation.level`: false is read_uncommitted (the default), true read_committed (KIP-98).
    public var readCommitted = false
    /// `auto.offset.reset` (latest): where a partition restarts after OFFSET_OUT_OF_RANGE.
    public var autoOffsetReset: OffsetSpec = .latest

    public init(client: KafkaClientConfig) { self.client = client }
}

/// One consumed record.
public struct ConsumerRecord: Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var timestamp: Int64
    public var timestampType: TimestampType
    public var key: ByteBuffer?
    public var value: ByteBuffer?
    public var headers: [RecordHeader]
    /// The leader epoch of the record's batch (-1 when unknown).
    public var leaderEpoch: Int32

    public init(topic: String, partition: Int32, offset: Int64, timestamp: Int64, timestampType: TimestampType,
                key: ByteBuffer?, value: ByteBuffer?, headers: [RecordHeader] = [], leaderEpoch: Int32 = -1) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.timestampType = timestampType
        self.key = key
        self.value = value
        self.headers = headers
        self.leaderEpoch = leaderEpoch
    }
}
