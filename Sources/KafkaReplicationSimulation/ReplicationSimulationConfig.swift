/// The knobs of one replication simulation run. Times are simulated milliseconds, scaled down from Kafka's
/// defaults (session 6 s -> 600 ms, replica lag 30 s -> 500 ms) so that a run covers many faults.
public struct ReplicationSimulationConfig: Sendable {
    /// How long faults are injected.
    public var chaosMs: Int64 = 20_000
    /// After healing, how long the cluster may take to converge (all replicas in the ISR, logs identical).
    public var livenessBoundMs: Int64 = 30_000
    /// Chance that a message between nodes, or between a node and the controller, is lost.
    public var lossRate = 0.02
    /// Messages take 1...maxDelayMs, so they reorder.
    public var maxDelayMs: Int64 = 10
    /// Mean time between faults (one at a time, only while all three replicas are in the ISR).
    public var meanFaultIntervalMs: Int64 = 1_200
    public var minInsyncReplicas = 2
    public var replicaLagTimeMaxMs: Int64 = 500
    /// The controller fences a broker that has not heartbeated for this long.
    public var sessionTimeoutMs: Int64 = 600
    public var heartbeatIntervalMs: Int64 = 100
    /// The producer's `request.timeout.ms` and the broker's acks=all `timeout.ms`.
    public var produceTimeoutMs: Int64 = 1_500
    /// Records per fetch answer.
    public var maxFetchRecords = 25
    /// A crash loses what was appended since the node's last flush (Kafka does not fsync by default).
    public var loseUnflushedOnCrash = true
    /// Prints every event and the cluster's state after it (to replay one seed by eye).
    public var trace = false

    public init() {}
}

/// What a run did, printed with its seed.
public struct ReplicationSimulationReport: Sendable, CustomStringConvertible {
    public var seed: UInt64
    public var steps = 0
    public var simulatedMs: Int64 = 0
    public var acknowledged = 0
    public var refusedNotEnoughReplicas = 0
    public var notEnoughReplicasAfterAppend = 0
    public var timedOut = 0
    public var leaderEpochs: Int32 = 0
    public var crashes = 0
    public var pauses = 0
    public var isolations = 0
    public var truncations = 0
    public var isrShrinks = 0
    public var isrExpansions = 0
    public var finalLogEnd: Int64 = 0
    /// Acknowledged records missing, or at another offset, at the end (must be 0).
    public var lost = 0
    /// Records present more than once at the end (must be 0).
    public var duplicated = 0
    /// Acknowledged records out of their acknowledgement order (must be 0).
    public var reordered = 0

    public var description: String {
        "seed \(seed): \(steps) steps, \(simulatedMs) ms, \(acknowledged) acked (\(refusedNotEnoughReplicas) NOT_ENOUGH_REPLICAS, "
            + "\(notEnoughReplicasAfterAppend) AFTER_APPEND, \(timedOut) timed out), log end \(finalLogEnd), "
            + "leader epoch \(leaderEpochs), \(crashes) crashes, \(pauses) pauses, \(isolations) isolations, "
            + "\(truncations) truncations, ISR -\(isrShrinks)/+\(isrExpansions); lost \(lost), duplicated \(duplicated), reordered \(reordered)"
    }
}
