import KafkaRaft
import NIOCore

/// One node's disk: the election state and snapshots are written durably at once (Kafka writes `quorum-state`
/// and snapshot files with an atomic rename); log appends are durable only after a flush completes.
struct SimulatedStorage {
    var election: ElectionState?
    var snapshot: (id: SnapshotId, bytes: ByteBuffer)?
    /// The log as written (page cache), and the prefix of it that a flush made durable.
    var written: RaftLog = RaftLog()
    var durable: RaftLog = RaftLog()
    var flushPending = false

    /// The offset after the last durable batch.
    var durableEnd: Int64 { durable.endOffset }

    mutating func append(_ batch: LogBatch) throws { try written.append(batch) }

    mutating func truncate(to offset: Int64) throws {
        try written.truncate(to: offset)
        if durable.endOffset > offset { try durable.truncate(to: offset) }
    }

    mutating func flushCompleted() { durable = written }

    mutating func deletePrefix(_ id: SnapshotId) {
        written.deletePrefix(before: id)
        durable.deletePrefix(before: id)
    }

    mutating func install(_ id: SnapshotId, _ bytes: ByteBuffer) {
        snapshot = (id, bytes)
        written = RaftLog(after: id)
        durable = RaftLog(after: id)
    }

    /// A crash: what was written but not flushed is lost unless the crash spared the page cache.
    mutating func crash(loseUnflushed: Bool) {
        if loseUnflushed { written = durable } else { durable = written }
        flushPending = false
    }
}
