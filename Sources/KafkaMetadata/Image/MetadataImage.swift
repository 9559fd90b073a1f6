import KafkaProtocol

/// The cluster's metadata as of some point of the metadata log: features, brokers, topics, configs and the
/// producer id allocation.
///
/// An image is a value: holding one is holding a snapshot. It changes only by `replay(_:)` of metadata records
/// (architecture rule 3), which is how the controller, brokers, recovery and snapshots all build it.
public struct MetadataImage: Hashable, Sendable {
    /// Finalized feature levels by name (`metadata.version`, `kraft.version`, ...).
    public internal(set) var features: [String: Int16] = [:]
    /// Registered brokers by id.
    public internal(set) var brokers: [Int32: BrokerRegistration] = [:]
    /// Topics by id.
    public internal(set) var topicsById: [KafkaUUID: TopicImage] = [:]
    /// Topic ids by name.
    public internal(set) var topicIdsByName: [String: KafkaUUID] = [:]
    /// Dynamic configs per resource; a resource with no keys left is absent.
    public internal(set) var configs: [ConfigResource: [String: String]] = [:]
    /// The first producer id of the next block the controller will hand out (ProducerIdsRecord.nextProducerId).
    public internal(set) var nextProducerId: Int64 = 0
    /// The broker that received the last producer id block, if any.
    public internal(set) var lastProducerIdBlockBroker: Int32?
    /// How many records have been replayed into this image (a cheap change counter for drivers and tests).
    public internal(set) var recordsReplayed: Int = 0

    /// An empty image: no features, brokers, topics or configs.
    public init() {}

    /// The finalized `metadata.version`; 3.0-IV1 when none has been recorded, as in Kafka.
    public var metadataVersion: MetadataVersion {
        features[MetadataVersion.featureName].map(MetadataVersion.init(featureLevel:)) ?? .v3_0_IV1
    }

    /// The topic with this name.
    public func topic(named name: String) -> TopicImage? {
        topicIdsByName[name].flatMap { topicsById[$0] }
    }

    /// The leader of partition `partition` of topic `name`: nil when the image does not have the partition; -1
    /// while it has no leader.
    public func leader(of name: String, partition: Int32) -> Int32? {
        topic(named: name)?.partitions[partition]?.leader
    }

    /// The topic with this id.
    public func topic(id: KafkaUUID) -> TopicImage? { topicsById[id] }

    /// Every topic, ordered by name.
    public var topicsByName: [TopicImage] { topicsById.values.sorted { $0.name < $1.name } }

    /// The dynamic configs of a topic.
    public func topicConfigs(_ name: String) -> [String: String] { configs[.topic(name)] ?? [:] }

    /// Brokers that can lead partitions and be in ISRs (registered, unfenced, not shutting down).
    public var activeBrokerIds: [Int32] { brokers.values.filter(\.isActive).map(\.id).sorted() }
}
