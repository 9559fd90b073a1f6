import KafkaProtocol
import NIOCore

/// What the driver tells the core. Every event comes with the current time (`RaftNode.handle(_:now:)`).
public enum RaftEvent: Sendable {
    /// Time passed (the driver calls this at the time of the last `.schedule(at:)`, or any time).
    case tick
    /// A request or response from another node.
    case received(from: Int32, RaftEnvelope)
    /// At the leader: records (values) to append, possibly many commands at once. The core batches them with
    /// what else arrives within `append.linger.ms` and answers `.appendAccepted` or `.appendRejected`.
    case append([ByteBuffer])
    /// The storage made the log durable: every byte of the log as it is now, up to `upTo`, survives a crash.
    case flushed(upTo: Int64)
    /// The state machine wrote the snapshot a `.takeSnapshot` asked for; these are the file's bytes.
    case snapshotWritten(SnapshotId, ByteBuffer)
    /// The request with this correlation id could not be delivered (connection refused or closed).
    case requestFailed(to: Int32, correlationId: Int32)
    /// Graceful shutdown of a leader: resign with EndQuorumEpoch so that another voter takes over quickly.
    case resign
}

/// The offsets an accepted append will occupy, in the epoch of the leader that accepted it. The records are
/// committed once the high watermark passes `lastOffset` while the log still has this epoch there.
public struct AppendReceipt: Hashable, Sendable {
    public var epoch: Int32
    public var baseOffset: Int64
    public var lastOffset: Int64

    public init(epoch: Int32, baseOffset: Int64, lastOffset: Int64) {
        self.epoch = epoch
        self.baseOffset = baseOffset
        self.lastOffset = lastOffset
    }
}

/// What the core asks of the driver, in order: a driver must carry them out in the order given (a
/// `.persistElectionState` before the `.send`s that follow it).
public enum RaftAction: Hashable, Sendable {
    case send(to: Int32, RaftEnvelope)
    /// Write `quorum-state` (`QuorumStateFile.encode`) durably before going on.
    case persistElectionState(ElectionState)
    /// Append this batch at the end of the log (not yet durable).
    case appendToLog(LogBatch)
    /// Remove every batch from `offset` on (a follower whose log diverged from the leader's).
    case truncateLog(to: Int64)
    /// Make the log durable up to `upTo`, then deliver `.flushed(upTo:)`.
    case flushLog(upTo: Int64)
    /// The high watermark advanced: offsets below `upTo` are committed and may be applied.
    case commit(upTo: Int64)
    /// Write a snapshot of the state machine at this id (its state after applying everything below the end
    /// offset), then deliver `.snapshotWritten`.
    case takeSnapshot(SnapshotId)
    /// The snapshot covers the log's prefix: delete the segments before its end offset.
    case deleteLogBefore(SnapshotId)
    /// A follower downloaded the leader's snapshot: store it, replace the log with an empty log starting at its
    /// end offset, and reload the state machine from it.
    case installSnapshot(SnapshotId, ByteBuffer)
    case becameLeader(epoch: Int32)
    /// This node stopped being the leader of `epoch` (resigned, or learned of a newer epoch).
    case resignedLeadership(epoch: Int32)
    /// The known leader or epoch changed.
    case leaderChanged(LeaderAndEpoch)
    case appendAccepted(AppendReceipt)
    /// Not the leader (or resigning): the current leader, if known, to retry against.
    case appendRejected(LeaderAndEpoch)
    /// Deliver `.tick` at this time (replaces any earlier schedule).
    case schedule(at: Int64)
    /// A safety rule would be broken (Kafka throws here and the node stops): stop this node.
    case fatal(String)
}
