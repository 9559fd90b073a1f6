import KafkaProtocol

/// A topic to create. -1 partitions or replication factor leave the choice to the broker's defaults
/// (`num.partitions`, `default.replication.factor`; CreateTopics v4+, KIP-464).
public struct NewTopic: Sendable, Equatable {
    public var name: String
    public var numPartitions: Int32
    public var replicationFactor: Int16
    /// Topic config overrides (`cleanup.policy`, `retention.ms`, ...).
    public var configs: [String: String]

    public init(name: String, numPartitions: Int32 = -1, replicationFactor: Int16 = -1, configs: [String: String] = [:]) {
        self.name = name
        self.numPartitions = numPartitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }
}

/// What the controller reports about a topic it created.
public struct CreatedTopic: Sendable, Equatable {
    public var name: String
    public var topicId: KafkaUUID
    public var numPartitions: Int32
    public var replicationFactor: Int16
}

/// A topic as `listTopics` returns it.
public struct TopicListing: Sendable, Equatable {
    public var name: String
    public var topicId: KafkaUUID
    public var isInternal: Bool
}

/// One config of a resource.
public struct ConfigEntry: Sendable, Equatable {
    public var name: String
    /// nil for sensitive values.
    public var value: String?
    public var source: ConfigSource
    public var isReadOnly: Bool
    public var isSensitive: Bool

    public init(name: String, value: String?, source: ConfigSource, isReadOnly: Bool = false, isSensitive: Bool = false) {
        self.name = name
        self.value = value
        self.source = source
        self.isReadOnly = isReadOnly
        self.isSensitive = isSensitive
    }

    /// Kafka's `ConfigEntry.isDefault`: the value is the built-in default, not set on the topic or broker.
    public var isDefault: Bool { source == .defaultConfig }
}

/// Kafka's internal topics (`Topic.isInternal`).
public enum InternalTopics {
    public static let names: Set<String> = ["__consumer_offsets", "__transaction_state", "__share_group_state"]
}
