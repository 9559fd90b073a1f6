import KafkaProtocol

/// A broker as the metadata log registers it (RegisterBrokerRecord, then fencing and shutdown changes).
public struct BrokerRegistration: Hashable, Sendable {
    /// One listener the broker advertises.
    public struct Endpoint: Hashable, Sendable {
        /// The listener name (`PLAINTEXT`, `SASL_SSL`, ...).
        public var name: String
        public var host: String
        public var port: UInt16
        /// Kafka's security protocol id: 0 PLAINTEXT, 1 SSL, 2 SASL_PLAINTEXT, 3 SASL_SSL.
        public var securityProtocol: Int16

        public init(name: String, host: String, port: UInt16, securityProtocol: Int16) {
            self.name = name
            self.host = host
            self.port = port
            self.securityProtocol = securityProtocol
        }
    }

    /// A feature range the broker supports.
    public struct SupportedFeature: Hashable, Sendable {
        public var name: String
        public var minVersion: Int16
        public var maxVersion: Int16

        public init(name: String, minVersion: Int16, maxVersion: Int16) {
            self.name = name
            self.minVersion = minVersion
            self.maxVersion = maxVersion
        }
    }

    public var id: Int32
    /// The broker epoch: the metadata log offset of its registration (heartbeats and producer id requests carry it).
    public var epoch: Int64
    /// A random id the broker draws at every start, so a restart is told apart from a duplicate broker.
    public var incarnationId: KafkaUUID
    public var listeners: [Endpoint]
    public var supportedFeatures: [SupportedFeature]
    public var rack: String?
    /// A fenced broker is registered but may not lead partitions or join ISRs (KIP-631).
    public var fenced: Bool
    public var inControlledShutdown: Bool
    /// The broker's online log directories (KIP-858).
    public var logDirectories: [KafkaUUID]

    public init(
        id: Int32, epoch: Int64, incarnationId: KafkaUUID, listeners: [Endpoint] = [],
        supportedFeatures: [SupportedFeature] = [], rack: String? = nil, fenced: Bool = true,
        inControlledShutdown: Bool = false, logDirectories: [KafkaUUID] = []
    ) {
        self.id = id
        self.epoch = epoch
        self.incarnationId = incarnationId
        self.listeners = listeners
        self.supportedFeatures = supportedFeatures
        self.rack = rack
        self.fenced = fenced
        self.inControlledShutdown = inControlledShutdown
        self.logDirectories = logDirectories
    }

    /// Whether the broker can take leadership and ISR membership (Kafka's `isActive`).
    public var isActive: Bool { !fenced && !inControlledShutdown }

    init(record r: RegisterBrokerRecord) {
        self.init(
            id: r.brokerId, epoch: r.brokerEpoch, incarnationId: r.incarnationId,
            listeners: r.endPoints.map {
                Endpoint(name: $0.name, host: $0.host, port: $0.port, securityProtocol: $0.securityProtocol)
            },
            supportedFeatures: r.features.map {
                SupportedFeature(name: $0.name, minVersion: $0.minSupportedVersion, maxVersion: $0.maxSupportedVersion)
            },
            rack: r.rack, fenced: r.fenced, inControlledShutdown: r.inControlledShutdown, logDirectories: r.logDirs)
    }
}
