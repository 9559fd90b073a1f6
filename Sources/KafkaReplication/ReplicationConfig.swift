/// The settings one partition's replication rules read, by Kafka's key names and defaults.
public struct ReplicationConfig: Hashable, Sendable {
    /// `min.insync.replicas` (topic, else broker; default 1): acks=all needs this many in the ISR.
    public var minInsyncReplicas: Int
    /// `replica.lag.time.max.ms` (default 30000): a follower that has not caught up with the leader's end within
    /// this long leaves the ISR.
    public var replicaLagTimeMaxMs: Int64

    public init(minInsyncReplicas: Int = 1, replicaLagTimeMaxMs: Int64 = 30_000) {
        self.minInsyncReplicas = minInsyncReplicas
        self.replicaLagTimeMaxMs = replicaLagTimeMaxMs
    }
}
