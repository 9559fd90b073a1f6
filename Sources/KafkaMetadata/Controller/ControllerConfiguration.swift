/// What the controller needs to know about topic and broker configs: validation, list-typed keys and defaults.
/// The schema itself lives with the server's configuration; the controller stays ignorant of it.
public struct ConfigSchema: Sendable {
    /// Why `value` is not acceptable for `key` on this resource type (`"Unknown topic config name: x"`, ...),
    /// or nil when it is. Errors are reported as INVALID_CONFIG.
    public var validate: @Sendable (_ type: ConfigResource.ResourceType, _ key: String, _ value: String) -> String?
    /// Whether the key is a LIST type (APPEND and SUBTRACT apply only to those).
    public var isList: @Sendable (_ type: ConfigResource.ResourceType, _ key: String) -> Bool
    /// The default (static) value of every key of a resource type; CreateTopics v5+ returns them with source
    /// DEFAULT_CONFIG, and APPEND/SUBTRACT start from them when the key is not set.
    public var defaults: @Sendable (_ type: ConfigResource.ResourceType) -> [String: String]

    public init(
        validate: @escaping @Sendable (ConfigResource.ResourceType, String, String) -> String?,
        isList: @escaping @Sendable (ConfigResource.ResourceType, String) -> Bool,
        defaults: @escaping @Sendable (ConfigResource.ResourceType) -> [String: String]
    ) {
        self.validate = validate
        self.isList = isList
        self.defaults = defaults
    }

    /// Accepts every key and value, knows no list types and no defaults (for tests and tools).
    public static let permissive = ConfigSchema(validate: { _, _, _ in nil }, isList: { _, _ in false }, defaults: { _ in [:] })
}

/// The controller's settings (the `server.properties` keys it reads).
public struct ControllerConfiguration: Sendable {
    /// `num.partitions`: used when CreateTopics asks for -1 partitions.
    public var defaultNumPartitions: Int32
    /// `default.replication.factor`: used when CreateTopics asks for replication factor -1.
    public var defaultReplicationFactor: Int16
    /// `delete.topic.enable`.
    public var deleteTopicEnable: Bool
    /// `unclean.leader.election.enable` of the node's static config: whether the controller may elect a leader from
    /// outside the ISR on its own, for topics that set it neither themselves nor on the cluster-wide broker default.
    public var uncleanLeaderElectionEnable: Bool
    /// `auto.leader.rebalance.enable` (default true): leadership moves back to preferred replicas on its own.
    public var autoLeaderRebalanceEnable: Bool = true
    /// `leader.imbalance.check.interval.seconds` (default 300), in milliseconds: how long an imbalance stands
    /// before the controller acts on it.
    public var leaderImbalanceCheckIntervalMs: Int64 = 300_000
    public var configSchema: ConfigSchema
    /// Kafka's `create.topic.policy.class.name`: a reason to refuse a topic (POLICY_VIOLATION), or nil.
    public var createTopicPolicy: (@Sendable (CreateTopicSpec) -> String?)?

    public init(
        defaultNumPartitions: Int32 = 1, defaultReplicationFactor: Int16 = 1, deleteTopicEnable: Bool = true,
        uncleanLeaderElectionEnable: Bool = false, configSchema: ConfigSchema = .permissive,
        createTopicPolicy: (@Sendable (CreateTopicSpec) -> String?)? = nil
    ) {
        self.defaultNumPartitions = defaultNumPartitions
        self.defaultReplicationFactor = defaultReplicationFactor
        self.deleteTopicEnable = deleteTopicEnable
        self.uncleanLeaderElectionEnable = uncleanLeaderElectionEnable
        self.configSchema = configSchema
        self.createTopicPolicy = createTopicPolicy
    }
}
