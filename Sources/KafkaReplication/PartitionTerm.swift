/// A partition's leadership as the metadata log last published it: who leads, at which leader and partition
/// epochs, over which replicas, with which ISR (the fields of Kafka's PartitionRecord that replication reads).
public struct PartitionTerm: Hashable, Sendable {
    public var leader: Int32
    public var leaderEpoch: Int32
    public var partitionEpoch: Int32
    public var replicas: [Int32]
    public var isr: [Int32]

    public init(leader: Int32, leaderEpoch: Int32, partitionEpoch: Int32, replicas: [Int32], isr: [Int32]) {
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.partitionEpoch = partitionEpoch
        self.replicas = replicas
        self.isr = isr
    }
}
