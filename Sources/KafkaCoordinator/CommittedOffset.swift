/// A partition of a topic, as offsets are keyed.
public struct GroupTopicPartition: Sendable, Hashable, Comparable {
    public var topic: String
    public var partition: Int32
    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }
    public static func < (a: Self, b: Self) -> Bool { (a.topic, a.partition) < (b.topic, b.partition) }
}

/// A committed offset as the coordinator keeps it (Kafka's `OffsetAndMetadata`).
public struct CommittedOffset: Sendable, Hashable {
    public var offset: Int64
    /// Leader epoch of the last consumed record (KIP-320), -1 when unknown.
    public var leaderEpoch: Int32
    public var metadata: String
    public var commitTimestamp: Int64
    /// Explicit expiry from OffsetCommit v2-v4 retention time; nil when the broker's retention applies.
    public var expireTimestamp: Int64?

    public init(offset: Int64, leaderEpoch: Int32 = -1, metadata: String = "", commitTimestamp: Int64, expireTimestamp: Int64? = nil) {
        self.offset = offset
        self.leaderEpoch = leaderEpoch
        self.metadata = metadata
        self.commitTimestamp = commitTimestamp
        self.expireTimestamp = expireTimestamp
    }
}
