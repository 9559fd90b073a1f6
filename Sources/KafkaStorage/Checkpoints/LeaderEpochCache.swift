/// One leader epoch and the first offset written in it.
public struct EpochEntry: Hashable, Sendable {
    public var epoch: Int32
    public var startOffset: Int64

    public init(epoch: Int32, startOffset: Int64) {
        self.epoch = epoch
        self.startOffset = startOffset
    }
}

/// The leader-epoch history of a partition (Kafka's LeaderEpochFileCache), stored in `leader-epoch-checkpoint`
/// as checkpoint text with `epoch startOffset` lines. Pure; `PartitionLog` persists it when it changes.
public struct LeaderEpochCache: Sendable, Hashable {
    public static let fileName = "leader-epoch-checkpoint"

    /// Entries with increasing epochs and start offsets.
    public private(set) var entries: [EpochEntry] = []

    public init(entries: [EpochEntry] = []) { self.entries = entries }

    /// The latest epoch, nil when none.
    public var latestEpoch: Int32? { entries.last?.epoch }

    /// Records that `epoch` starts at `startOffset`; returns whether anything changed. Entries that the new one
    /// contradicts (same or higher epoch, or a start offset at or after it) are removed first, as Kafka does.
    @discardableResult
    public mutating func assign(epoch: Int32, startOffset: Int64) -> Bool {
        if let last = entries.last, last.epoch == epoch { return false }
        if let last = entries.last, last.epoch > epoch { return false }
        entries.removeAll { $0.epoch >= epoch || $0.startOffset >= startOffset }
        entries.append(EpochEntry(epoch: epoch, startOffset: startOffset))
        return true
    }

    /// Drops entries starting at or after `endOffset` (log truncated to `endOffset`).
    @discardableResult
    public mutating func truncateFromEnd(_ endOffset: Int64) -> Bool {
        let before = entries.count
        entries.removeAll { $0.startOffset >= endOffset }
        return entries.count != before
    }

    /// Moves the start of the history to `startOffset` (log start advanced): earlier entries go, the one that
    /// covers `startOffset` now starts there.
    @discardableResult
    public mutating func truncateFromStart(_ startOffset: Int64) -> Bool {
        guard let keep = entries.lastIndex(where: { $0.startOffset <= startOffset }) else { return false }
        let before = entries
        entries.removeFirst(keep)
        if entries[0].startOffset < startOffset { entries[0].startOffset = startOffset }
        return entries != before
    }

    /// OffsetsForLeaderEpoch: the largest epoch at most `epoch` and the offset where it ended (the next epoch's
    /// start, or the log end for the latest); nil when the history is empty. An epoch older than the whole
    /// history ends where the history starts, `(epoch, first start offset)`, as Kafka's `endOffsetFor` answers:
    /// what came before was removed from this log, and a follower holding it must replicate from there.
    public func endOffset(for epoch: Int32, logEndOffset: Int64) -> (epoch: Int32, endOffset: Int64)? {
        guard let first = entries.first else { return nil }
        guard let i = entries.lastIndex(where: { $0.epoch <= epoch }) else { return (epoch, first.startOffset) }
        if i == entries.count - 1 { return (entries[i].epoch, logEndOffset) }
        return (entries[i].epoch, entries[i + 1].startOffset)
    }

    /// Checkpoint text.
    public var text: String { CheckpointText.format(entries.map { [String($0.epoch), String($0.startOffset)] }) }

    /// Parses checkpoint text.
    public init(text: String) throws {
        entries = try CheckpointText.parse(text, fieldCount: 2).map { fields in
            guard let epoch = Int32(fields[0]), let offset = Int64(fields[1]) else {
                throw StorageError.corrupt("leader epoch entry \(fields.joined(separator: " "))")
            }
            return EpochEntry(epoch: epoch, startOffset: offset)
        }
    }
}
