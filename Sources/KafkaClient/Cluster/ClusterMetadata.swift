import KafkaProtocol

/// One partition as Metadata describes it.
public struct PartitionInfo: Sendable, Equatable {
    public var partition: Int32
    /// -1 when the partition has no leader.
    public var leader: Int32
    public var leaderEpoch: Int32
    public var replicas: [Int32]
    public var isr: [Int32]
    public var offlineReplicas: [Int32]
    public var error: KafkaError

    public init(partition: Int32, leader: Int32, leaderEpoch: Int32 = -1, replicas: [Int32], isr: [Int32],
                offlineReplicas: [Int32] = [], error: KafkaError = .none) {
        self.partition = partition
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.replicas = replicas
        self.isr = isr
        self.offlineReplicas = offlineReplicas
        self.error = error
    }
}

/// One topic as Metadata describes it.
public struct TopicInfo: Sendable, Equatable {
    public var name: String
    public var topicId: KafkaUUID
    public var isInternal: Bool
    /// Sorted by partition index.
    public var partitions: [PartitionInfo]
    public var error: KafkaError

    public init(name: String, topicId: KafkaUUID, isInternal: Bool, partitions: [PartitionInfo], error: KafkaError = .none) {
        self.name = name
        self.topicId = topicId
        self.isInternal = isInternal
        self.partitions = partitions
        self.error = error
    }
}

/// A snapshot of the cluster: brokers, the controller the brokers name, and the topics asked about.
public struct ClusterMetadata: Sendable, Equatable {
    public var clusterId: String?
    public var controllerId: Int32
    public var brokers: [Int32: BrokerAddress]
    public var topics: [String: TopicInfo]

    public init(clusterId: String? = nil, controllerId: Int32 = -1, brokers: [Int32: BrokerAddress] = [:], topics: [String: TopicInfo] = [:]) {
        self.clusterId = clusterId
        self.controllerId = controllerId
        self.brokers = brokers
        self.topics = topics
    }

    /// The metadata a Metadata response describes.
    public init(_ r: MetadataResponse) {
        clusterId = r.clusterId
        controllerId = r.controllerId
        brokers = Dictionary(r.brokers.map { ($0.nodeId, BrokerAddress(host: $0.host, port: Int($0.port))) }, uniquingKeysWith: { a, _ in a })
        var t: [String: TopicInfo] = [:]
        for topic in r.topics {
            guard let name = topic.name else { continue }
            let parts = topic.partitions.map {
                PartitionInfo(partition: $0.partitionIndex, leader: $0.leaderId, leaderEpoch: $0.leaderEpoch,
                              replicas: $0.replicaNodes, isr: $0.isrNodes, offlineReplicas: $0.offlineReplicas,
                              error: KafkaError(rawValue: $0.errorCode) ?? .unknownServerError)
            }.sorted { $0.partition < $1.partition }
            t[name] = TopicInfo(name: name, topicId: topic.topicId, isInternal: topic.isInternal, partitions: parts,
                                error: KafkaError(rawValue: topic.errorCode) ?? .unknownServerError)
        }
        topics = t
    }

    /// Merges a response for some topics into this snapshot: brokers and controller are replaced, the topics
    /// answered are replaced, the others kept.
    public mutating func merge(_ newer: ClusterMetadata) {
        clusterId = newer.clusterId ?? clusterId
        controllerId = newer.controllerId
        brokers = newer.brokers
        topics.merge(newer.topics) { _, new in new }
    }

    /// The leader of a partition, when it has one that Metadata lists as a broker.
    public func leader(of topic: String, partition: Int32) -> Int32? {
        guard let p = topics[topic]?.partitions.first(where: { $0.partition == partition }), p.leader >= 0,
              brokers[p.leader] != nil else { return nil }
        return p.leader
    }
}
