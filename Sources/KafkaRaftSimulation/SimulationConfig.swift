/// The shape of one simulated run. Defaults: a chaos phase of 5 simulated seconds with message loss, delay,
/// reordering, partitions and crashes, then a healed network with a bound of 30 simulated seconds for a leader
/// to commit new records on every node.
public struct SimulationConfig: Sendable {
    public var voters: Int
    public var observers: Int
    public var chaosMs: Int64 = 5_000
    public var livenessBoundMs: Int64 = 30_000
    /// Probability that a message is dropped during the chaos phase.
    public var lossRate: Double = 0.05
    /// Messages take 1...maxDelayMs; independent delays reorder them.
    public var maxDelayMs: Int64 = 30
    /// A flush completes 0...maxFlushMs after it is asked for.
    public var maxFlushMs: Int64 = 10
    /// Mean time between faults (a crash, a restart, a partition or a heal) in the chaos phase.
    public var meanFaultIntervalMs: Int64 = 400
    /// Mean time between client appends to the leader (1 to 3 records each).
    public var meanAppendIntervalMs: Int64 = 40
    /// Small, so that snapshots, log truncation behind them and FetchSnapshot happen within a run.
    public var maxBytesBetweenSnapshots = 2_000
    /// Small, so that snapshots travel in several FetchSnapshot chunks.
    public var fetchMaxBytes: Int32 = 600
    /// For proving the checker: a restarted node forgets its `quorum-state` (as if the driver never persisted it).
    public var forgetElectionStateOnCrash = false

    public init(voters: Int, observers: Int) {
        self.voters = voters
        self.observers = observers
    }
}

/// What a run did, for the test's figures.
public struct SimulationReport: Sendable, CustomStringConvertible {
    public var seed: UInt64
    public var steps = 0
    public var simulatedMs: Int64 = 0
    public var maxEpoch: Int32 = 0
    public var committedOffset: Int64 = 0
    public var crashes = 0
    public var snapshotsTaken = 0
    public var snapshotsInstalled = 0
    public var truncations = 0
    public var messagesSent = 0

    public init(seed: UInt64) { self.seed = seed }

    public var description: String {
        "seed \(seed): \(steps) steps, \(simulatedMs) ms, epoch \(maxEpoch), committed \(committedOffset), \(crashes) crashes, "
            + "\(snapshotsTaken) snapshots taken, \(snapshotsInstalled) installed, \(truncations) truncations, \(messagesSent) messages"
    }
}
