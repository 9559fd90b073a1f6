/// An epoch and the offset where it ends in a log (Kafka's `EpochEndOffset`).
public struct EpochEndOffset: Hashable, Sendable {
    public var epoch: Int32
    public var endOffset: Int64

    public init(epoch: Int32, endOffset: Int64) {
        self.epoch = epoch
        self.endOffset = endOffset
    }
}

/// The leader's verdict on where a follower (or a consumer sending its last fetched epoch) fetches from.
public enum FetchPositionCheck: Hashable, Sendable {
    case valid
    /// The fetcher's log diverges from the leader's after `EpochEndOffset.endOffset` of that epoch: it must
    /// truncate (Fetch v12+ `DivergingEpoch`, KIP-595's rule applied to partitions, KIP-320 before that).
    case diverging(EpochEndOffset)
    /// Below the log start or past the log end.
    case outOfRange
}

public enum FetchPosition {
    /// The leader's check (Kafka's `validateFetchOffsetAndMaybeGetDivergingEpoch`): when the fetcher names the
    /// epoch of its last record, the leader's end of the largest epoch at most that one must be at or past the
    /// fetch offset, in that very epoch; otherwise the fetcher diverges there. `endOffsetForEpoch` is the
    /// leader's epoch history (nil for an epoch older than all it has).
    public static func check(fetchOffset: Int64, lastFetchedEpoch: Int32?, logStartOffset: Int64, logEndOffset: Int64,
                             endOffsetForEpoch: (Int32) -> EpochEndOffset?) -> FetchPositionCheck {
        if let end = divergence(fetchOffset: fetchOffset, lastFetchedEpoch: lastFetchedEpoch, endOffsetForEpoch: endOffsetForEpoch) {
            return .diverging(end)
        }
        return fetchOffset < logStartOffset || fetchOffset > logEndOffset ? .outOfRange : .valid
    }

    /// The divergence part of `check` alone: where the fetcher's log leaves the leader's, or nil when it does
    /// not (or the fetcher named no epoch). An epoch older than the leader's whole history diverges at
    /// (-1, -1), Kafka's UNDEFINED epoch and offset, and the follower truncates to its high watermark.
    public static func divergence(fetchOffset: Int64, lastFetchedEpoch: Int32?,
                                  endOffsetForEpoch: (Int32) -> EpochEndOffset?) -> EpochEndOffset? {
        guard let lastFetchedEpoch, lastFetchedEpoch >= 0 else { return nil }
        let end = endOffsetForEpoch(lastFetchedEpoch) ?? EpochEndOffset(epoch: -1, endOffset: -1)
        return end.epoch < lastFetchedEpoch || end.endOffset < fetchOffset ? end : nil
    }

    /// The follower's answer to a divergence (Kafka's `getOffsetTruncationState`): where to truncate, and
    /// whether that settles it. When the follower's own history has a different epoch at the leader's epoch,
    /// it truncates to its own end of that epoch and fetches again, which compares the next epoch down.
    public static func truncation(leader: EpochEndOffset, logEndOffset: Int64, highWatermark: Int64,
                                  endOffsetForEpoch: (Int32) -> EpochEndOffset?) -> Truncation {
        if leader.endOffset < 0 { return Truncation(offset: highWatermark, complete: true) }
        if leader.epoch < 0 { return Truncation(offset: min(leader.endOffset, logEndOffset), complete: true) }
        guard let mine = endOffsetForEpoch(leader.epoch) else {
            return Truncation(offset: min(leader.endOffset, logEndOffset), complete: true)
        }
        if mine.epoch == leader.epoch {
            return Truncation(offset: min(leader.endOffset, mine.endOffset, logEndOffset), complete: true)
        }
        return Truncation(offset: min(mine.endOffset, logEndOffset), complete: false)
    }

    /// Where a follower truncates its log, and whether another round of comparison may follow.
    public struct Truncation: Hashable, Sendable {
        public var offset: Int64
        public var complete: Bool

        public init(offset: Int64, complete: Bool) {
            self.offset = offset
            self.complete = complete
        }
    }
}

/// A follower's high watermark: the leader's, capped at what the follower holds, and never lowered by a fetch
/// answer (Kafka's `maybeUpdateHighWatermark`); only a truncation moves it down, to the new log end.
public struct FollowerHighWatermark: Hashable, Sendable {
    public private(set) var value: Int64

    public init(_ value: Int64) { self.value = value }

    /// A fetch answer carried the leader's high watermark; the local log ends at `logEndOffset`.
    public mutating func leaderReported(_ leaderHighWatermark: Int64, logEndOffset: Int64) -> Bool {
        let next = min(leaderHighWatermark, logEndOffset)
        guard next > value else { return false }
        value = next
        return true
    }

    /// The log was truncated to `offset`.
    public mutating func truncated(to offset: Int64) {
        value = min(value, offset)
    }
}
