/// The metadata log as the quorum sees it: the batches after the latest snapshot, in memory.
///
/// The core owns this value and tells the driver, through actions, to mirror every change on disk (append,
/// truncate, delete a prefix after a snapshot). The epoch cache Kafka keeps in `leader-epoch-checkpoint` is
/// derived from the batches' partition leader epochs, which only grow along the log.
public struct RaftLog: Hashable, Sendable {
    /// The first offset the log holds: 0, or the end offset of the snapshot it starts after.
    public private(set) var startOffset: Int64
    /// The epoch of the snapshot the log starts after, if any.
    public private(set) var startEpoch: Int32?
    public private(set) var batches: [LogBatch]

    /// An empty log from offset 0, or one starting after `snapshot`.
    public init(after snapshot: SnapshotId? = nil) {
        startOffset = snapshot?.endOffset ?? 0
        startEpoch = snapshot?.epoch
        batches = []
    }

    /// A log restored from disk: `batches` must be contiguous from the snapshot's end (or 0).
    public init(after snapshot: SnapshotId?, batches: [LogBatch]) throws {
        self.init(after: snapshot)
        for batch in batches { try append(batch) }
    }

    public enum LogError: Error, Equatable, CustomStringConvertible {
        case notContiguous(expected: Int64, got: Int64)
        case epochWentBack(last: Int32, got: Int32)
        case truncateBelowStart(Int64)

        public var description: String {
            switch self {
            case .notContiguous(let e, let g): return "batch at offset \(g), log ends at \(e)"
            case .epochWentBack(let l, let g): return "batch epoch \(g) after epoch \(l)"
            case .truncateBelowStart(let o): return "truncation to \(o), below the log start"
            }
        }
    }

    /// The offset after the last batch.
    public var endOffset: Int64 { batches.last?.endOffset ?? startOffset }
    /// The epoch of the last batch (or of the snapshot, or 0 for an empty log).
    public var lastEpoch: Int32 { batches.last?.epoch ?? startEpoch ?? 0 }
    /// The log end with its epoch, as a Vote request and a Fetch request carry it.
    public var endOffsetAndEpoch: OffsetAndEpoch { OffsetAndEpoch(offset: endOffset, epoch: lastEpoch) }

    public mutating func append(_ batch: LogBatch) throws {
        guard batch.baseOffset == endOffset else { throw LogError.notContiguous(expected: endOffset, got: batch.baseOffset) }
        guard batch.epoch >= lastEpoch else { throw LogError.epochWentBack(last: lastEpoch, got: batch.epoch) }
        batches.append(batch)
    }

    /// Removes every batch that ends after `offset`; a batch straddling it goes too (raft truncation points are
    /// epoch boundaries, which are batch boundaries). Returns the new end offset.
    @discardableResult
    public mutating func truncate(to offset: Int64) throws -> Int64 {
        guard offset >= startOffset else { throw LogError.truncateBelowStart(offset) }
        while let last = batches.last, last.endOffset > offset { batches.removeLast() }
        return endOffset
    }

    /// Drops the batches the snapshot covers; the log then starts at the snapshot's end.
    public mutating func deletePrefix(before snapshot: SnapshotId) {
        guard snapshot.endOffset > startOffset else { return }
        let keep = batches.firstIndex { $0.baseOffset >= snapshot.endOffset } ?? batches.count
        batches.removeFirst(keep)
        startOffset = snapshot.endOffset
        startEpoch = snapshot.epoch
        if let first = batches.first, first.baseOffset != startOffset {
            // The snapshot ended inside a batch: nothing can be served contiguously, so the tail goes too.
            batches.removeAll()
        }
    }

    /// Replaces the whole log by an empty one after `snapshot` (a follower that loaded the leader's snapshot).
    public mutating func reset(to snapshot: SnapshotId) {
        self = RaftLog(after: snapshot)
    }

    /// The index of the last batch whose base offset is at most `offset`.
    private func indexOfBatch(containing offset: Int64) -> Int? {
        var lo = 0, hi = batches.count - 1, found: Int? = nil
        while lo <= hi {
            let mid = (lo + hi) / 2
            if batches[mid].baseOffset <= offset { found = mid; lo = mid + 1 } else { hi = mid - 1 }
        }
        return found
    }

    /// Kafka's `endOffsetForEpoch`: the largest epoch at most `epoch` the log knows, and the offset where it ends
    /// (where the next epoch starts, or the log end). Nil when the log knows no such epoch.
    public func endOffsetForEpoch(_ epoch: Int32) -> OffsetAndEpoch? {
        // Batches' epochs never decrease: binary search for the last batch with epoch <= the one asked for.
        var lo = 0, hi = batches.count - 1, found: Int? = nil
        while lo <= hi {
            let mid = (lo + hi) / 2
            if batches[mid].epoch <= epoch { found = mid; lo = mid + 1 } else { hi = mid - 1 }
        }
        if let found { return OffsetAndEpoch(offset: batches[found].endOffset, epoch: batches[found].epoch) }
        if let startEpoch, startEpoch <= epoch { return OffsetAndEpoch(offset: startOffset, epoch: startEpoch) }
        return nil
    }

    /// The epoch of the record just before `offset` (what a snapshot ending at `offset` is named with).
    public func epoch(before offset: Int64) -> Int32? {
        if offset == startOffset { return startEpoch ?? (offset == 0 ? 0 : nil) }
        guard let i = indexOfBatch(containing: offset - 1), batches[i].lastOffset >= offset - 1 else { return nil }
        return batches[i].epoch
    }

    /// Whole batches from the one starting at `offset`, at most `maxBytes` of them but always at least one.
    public func read(from offset: Int64, maxBytes: Int) -> [LogBatch] {
        guard offset < endOffset, offset >= startOffset, let first = indexOfBatch(containing: offset) else { return [] }
        var out: [LogBatch] = []
        var size = 0
        for batch in batches[first...] {
            if !out.isEmpty && size + batch.sizeInBytes > maxBytes { break }
            out.append(batch)
            size += batch.sizeInBytes
        }
        return out
    }

    /// The batches that hold offsets in `from..<to`.
    public func batches(from: Int64, to: Int64) -> ArraySlice<LogBatch> {
        guard from < to, let first = indexOfBatch(containing: max(from, startOffset)) else { return [] }
        var end = first
        while end < batches.count && batches[end].baseOffset < to { end += 1 }
        return batches[first..<end]
    }
}
