import KafkaRaft
import NIOCore

/// What a `RaftDriver` replicates into: the committed records, applied in log order, and snapshots of the
/// result (KIP-630). Called on the driver's actor, one call at a time; keep the calls short (no I/O).
public protocol RaftStateMachine: Sendable {
    /// Applies committed data records of one batch, or of the part of it below the high watermark (control
    /// batches are not passed), `baseOffset` being the offset of the first record given.
    mutating func apply(baseOffset: Int64, records: [ByteBuffer])
    /// The records that rebuild the current state (written into a snapshot file). A throw stops the node, as a
    /// storage failure does.
    func snapshotRecords() throws -> [ByteBuffer]
    /// Replaces the state by a snapshot's records (a restart from a snapshot, or one downloaded from the leader).
    /// A throw stops the node (or refuses the start): its log starts at the snapshot's end, so without the
    /// snapshot's state there is nothing to replay it onto.
    mutating func load(snapshot id: SnapshotId, records: [ByteBuffer]) throws
}

/// What the driver publishes on `RaftDriver.committed`, in log order: committed batches, and snapshot loads.
public enum RaftCommittedEntry: Sendable, Hashable {
    /// A committed batch (or the part of it below the high watermark).
    case batch(RaftCommittedBatch)
    /// The state is replaced by this snapshot's records (the data records of its `.checkpoint`): at start-up from
    /// the newest snapshot on disk, or when a follower installs the one it fetched from the leader (KIP-630). The
    /// batches that follow start at the snapshot's end offset.
    case snapshot(SnapshotId, records: [ByteBuffer])
}

/// A committed batch as the driver publishes it (`RaftDriver.committed`).
///
/// Every committed batch is published in log order, control batches too (with no records), so a subscriber
/// knows exactly how far the committed log reaches: `endOffset` is the offset after the part published.
public struct RaftCommittedBatch: Sendable, Hashable {
    public var baseOffset: Int64
    /// The offset after the last record of this (part of a) batch.
    public var endOffset: Int64
    public var epoch: Int32
    public var isControl: Bool
    /// The record values of a data batch (empty for a control batch).
    public var records: [ByteBuffer]
}

/// What the driver reports on its `events` stream.
public enum RaftDriverEvent: Sendable, Hashable {
    /// The known leader or epoch changed.
    case leaderChanged(LeaderAndEpoch)
    /// This node became the leader of `epoch`.
    case becameLeader(epoch: Int32)
    /// This node stopped leading `epoch`.
    case resignedLeadership(epoch: Int32)
    /// Offsets below `upTo` are committed and applied.
    case committed(upTo: Int64)
    /// The state machine was reloaded from this snapshot.
    case snapshotLoaded(SnapshotId)
    /// The node stopped on a safety violation (`RaftAction.fatal`) or a storage failure.
    case stopped(reason: String)
}

/// Why an append or a request to the driver failed.
public enum RaftDriverError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not the leader; retry against `leader` if known.
    case notLeader(LeaderAndEpoch)
    /// The records were appended in `epoch` but a later leader's log replaced them: they are not committed.
    case appendLost(epoch: Int32, lastOffset: Int64)
    /// The driver was shut down, crashed or stopped on a fatal error.
    case stopped

    public var description: String {
        switch self {
        case .notLeader(let l): return "not the leader (\(l))"
        case .appendLost(let e, let o): return "records appended in epoch \(e) up to offset \(o) were truncated"
        case .stopped: return "the raft driver stopped"
        }
    }
}
