/// What the driver must do after a replication event.
public enum ReplicationAction: Hashable, Sendable {
    /// The high watermark moved to this offset: record it in the log, complete waiting acks=all produces and
    /// wake long-polling consumers.
    case highWatermarkAdvanced(Int64)
    /// Send this AlterPartition to the active controller and report the answer.
    case sendAlterPartition(AlterPartitionProposal)
}
