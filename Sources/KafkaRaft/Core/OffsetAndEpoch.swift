/// A log position with the epoch of the record before it: a log's end, an epoch's end, a snapshot's id.
/// Ordered as Kafka orders them: by epoch, then by offset (KIP-595's "log is at least as up to date").
public struct OffsetAndEpoch: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var offset: Int64
    public var epoch: Int32

    public init(offset: Int64, epoch: Int32) {
        self.offset = offset
        self.epoch = epoch
    }

    public static func < (a: OffsetAndEpoch, b: OffsetAndEpoch) -> Bool {
        a.epoch != b.epoch ? a.epoch < b.epoch : a.offset < b.offset
    }

    public var description: String { "(offset \(offset), epoch \(epoch))" }
}

/// A snapshot's identity: the offset after its last record and that record's epoch. Kafka names the file
/// `<endOffset, 20 digits>-<epoch, 10 digits>.checkpoint`.
public struct SnapshotId: Hashable, Sendable, CustomStringConvertible {
    public var endOffset: Int64
    public var epoch: Int32

    public init(endOffset: Int64, epoch: Int32) {
        self.endOffset = endOffset
        self.epoch = epoch
    }

    public var description: String { "snapshot(\(endOffset), epoch \(epoch))" }
}

/// A leader id (nil when unknown) and the epoch it is known for.
public struct LeaderAndEpoch: Hashable, Sendable, CustomStringConvertible {
    public var leaderId: Int32?
    public var epoch: Int32

    public init(leaderId: Int32?, epoch: Int32) {
        self.leaderId = leaderId
        self.epoch = epoch
    }

    /// The wire form: -1 for no leader.
    public var wireLeaderId: Int32 { leaderId ?? -1 }

    public var description: String { "leader \(leaderId.map(String.init) ?? "none") in epoch \(epoch)" }
}
