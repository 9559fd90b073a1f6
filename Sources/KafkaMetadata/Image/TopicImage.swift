import KafkaProtocol

/// A topic as the metadata log records it: its name, id and partitions.
public struct TopicImage: Hashable, Sendable {
    public var name: String
    public var id: KafkaUUID
    /// Partitions by index; the controller keeps indexes contiguous from 0.
    public var partitions: [Int32: PartitionRegistration]

    public init(name: String, id: KafkaUUID, partitions: [Int32: PartitionRegistration] = [:]) {
        self.name = name
        self.id = id
        self.partitions = partitions
    }

    /// The partitions in index order.
    public var sortedPartitions: [PartitionRegistration] {
        partitions.values.sorted { $0.partitionId < $1.partitionId }
    }

    /// The replication factor, read from partition 0 as Kafka does when adding partitions.
    public var replicationFactor: Int {
        partitions[0]?.replicas.count ?? partitions.values.first?.replicas.count ?? 0
    }
}
