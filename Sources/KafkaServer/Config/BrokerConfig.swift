/// A role a node plays in KRaft mode.
public enum ProcessRole: String, Sendable, Hashable, CaseIterable {
    case broker
    case controller
}

/// The resolved, validated configuration of a node: what the server runs with.
///
/// Built by `BrokerConfig.load` from Kafka's defaults, then `server.properties`, then environment variables,
/// then `--override key=value` arguments, each layer winning over the one before.
public struct BrokerConfig: Sendable, Equatable {
    /// `node.id` (or its legacy synonym `broker.id`).
    public var nodeId: Int32
    /// `process.roles`.
    public var processRoles: Set<ProcessRole>
    /// Sockets to bind, controller listeners included.
    public var listeners: [ListenerEndpoint]
    /// Broker listeners as given to clients and other brokers (controller listeners excluded).
    public var advertisedListeners: [ListenerEndpoint]
    /// Controller listeners as given to other nodes, in `controller.listener.names` order.
    public var advertisedControllerListeners: [ListenerEndpoint]
    /// Listener name → security protocol, after Kafka's defaulting for controller listeners.
    public var listenerSecurityProtocolMap: [String: SecurityProtocol]
    /// `controller.listener.names`, upper-cased; the first is the one brokers use to reach controllers.
    public var controllerListenerNames: [String]
    /// The broker listener other brokers connect to (replication).
    public var interBrokerListenerName: String
    /// Static quorum (`controller.quorum.voters`); empty with a dynamic quorum.
    public var quorumVoters: [QuorumVoter]
    /// Controllers to discover a dynamic quorum from (`controller.quorum.bootstrap.servers`).
    public var quorumBootstrapServers: [HostPort]
    /// Data directories (`log.dirs`, else `log.dir`).
    public var logDirs: [String]
    /// Directory of the metadata log: `metadata.log.dir`, else the first data directory.
    public var metadataLogDir: String
    /// `broker.rack`, nil when unset.
    public var brokerRack: String?
    /// Defaults of every topic's log settings (from the `log.*` synonyms).
    public var topicDefaults: TopicConfigDefaults
    /// Defaults and switches for creating and deleting topics.
    public var topics: TopicCreationSettings
    /// Group coordinator and `__consumer_offsets` settings.
    public var groups: GroupCoordinatorSettings
    /// Transaction coordinator and `__transaction_state` settings.
    public var transactions: TransactionSettings
    /// Sockets, threads and request limits.
    public var network: NetworkSettings
    /// Follower fetching and log-manager settings.
    public var replication: ReplicationSettings
    /// True when the configuration describes a one-node cluster (combined roles, quorum of itself).
    public var isSingleNodeCluster: Bool
    /// Every defined broker key with its typed value and origin.
    public var values: ConfigValues

    /// True when this node runs the broker role.
    public var isBroker: Bool { processRoles.contains(.broker) }
    /// True when this node runs the controller role.
    public var isController: Bool { processRoles.contains(.controller) }
    /// True when this node is one of the static voters.
    public var isVoter: Bool { quorumVoters.contains { $0.id == nodeId } }
}

/// The outcome of loading a configuration: the config, and lines for the server to log.
public struct LoadedBrokerConfig: Sendable {
    /// The resolved configuration.
    public var config: BrokerConfig
    /// Problems that do not stop the server (unknown keys, topic keys in the broker file, ...): log at warning.
    public var warnings: [String]
    /// Decisions worth knowing (single-node defaults, lowered replication factors, ignored variables): log at info.
    public var notices: [String]
    /// The cluster id from `CLUSTER_ID` (or Bitnami's `KAFKA_KRAFT_CLUSTER_ID`), for formatting storage.
    public var clusterIdFromEnvironment: String?
    /// Where the configuration came from, for the startup log: the file, the environment variables applied and the
    /// overrides, in priority order.
    public var sourcesSummary: String = "defaults only"
}
