import KafkaMetadata
import KafkaProtocol
import KafkaStorage
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// What every handler can reach: identity, configuration, the metadata image and driver, the data path.
public final class BrokerContext: Sendable {
    public let config: BrokerConfig
    public let nodeId: Int32
    public let clusterId: String
    /// The in-process controller and metadata log (start-up and shutdown use it; nothing else should).
    public let metadata: MetadataDriver
    /// The active controller, reached the same way wherever it runs: every controller command goes through it.
    public let controller: any ControllerChannel
    public let replicas: ReplicaManager
    public let groups: GroupCoordinatorService
    public let transactions: TransactionCoordinatorService
    public let clock: @Sendable () -> Int64
    public let logger: Logger
    let producerIds = ProducerIdSource()
    /// Incremental fetch sessions (KIP-227).
    let fetchSessions = SendableBox(FetchSessionCache())
    /// Connections to the other brokers (transaction verification with a remote coordinator, remote markers).
    let interBroker: InterBrokerClients

    /// - Parameter controller: the channel to the active controller; nil: `metadata`, the node's own (one voter).
    /// - Parameter group: the event loops of connections to other brokers.
    init(config: BrokerConfig, clusterId: String, metadata: MetadataDriver, controller: (any ControllerChannel)? = nil,
         replicas: ReplicaManager, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
         clock: @escaping @Sendable () -> Int64, logger: Logger) {
        self.config = config
        self.nodeId = config.nodeId
        self.clusterId = clusterId
        self.metadata = metadata
        let channel = controller ?? metadata
        self.controller = channel
        self.replicas = replicas
        self.groups = GroupCoordinatorService(
            replicas: replicas, nodeId: config.nodeId, controller: channel, cache: metadata.cache, settings: config.groups, clock: clock, logger: logger)
        self.transactions = TransactionCoordinatorService(settings: config.transactions)
        self.interBroker = InterBrokerClients(
            nodeId: config.nodeId, listenerName: config.interBrokerListenerName, group: group,
            requestTimeoutMs: Int64(config.values.int("request.timeout.ms")))
        self.clock = clock
        self.logger = logger
    }

    /// The controller id Metadata and DescribeCluster give clients. In KRaft a client cannot reach the controller
    /// quorum through a broker listener: Kafka answers with a random live broker, which forwards what the client
    /// sends "to the controller". This node answers with itself when it is a live broker (the client has just
    /// reached it, so a controller that died cannot strand an admin client until its next metadata refresh), else
    /// the lowest live broker, else -1. A single voter is its own controller.
    public var clientFacingControllerId: Int32 {
        guard metadata.quorum != nil else { return nodeId }
        let brokers = image.brokers
        if brokers[nodeId]?.isActive == true { return nodeId }
        return brokers.values.filter(\.isActive).map(\.id).min() ?? -1
    }

    /// The current metadata image.
    public var image: MetadataImage { metadata.cache.image }

    /// The effective settings of a topic: broker defaults with the topic's overrides.
    public func topicSettings(_ topic: String) -> TopicConfigDefaults {
        let overrides = image.topicConfigs(topic)
        if overrides.isEmpty { return config.topicDefaults }
        return (try? config.topicDefaults.applying(overrides: overrides)) ?? config.topicDefaults
    }

    /// What produce validation needs of a topic's settings.
    public func produceSettings(_ topic: String) -> ProduceSettings {
        let t = topicSettings(topic)
        var s = ProduceSettings()
        s.maxMessageBytes = Int(t.maxMessageBytes)
        s.logAppendTime = t.messageTimestampType == .logAppendTime
        s.timestampBeforeMaxMs = t.messageTimestampBeforeMaxMs
        s.timestampAfterMaxMs = t.messageTimestampAfterMaxMs
        if case .codec(let c) = t.compression { s.compression = c }
        s.compacted = t.compacts
        return s
    }

    /// Internal topics Kafka marks `isInternal` in Metadata responses.
    public static let internalTopics: Set<String> = ["__consumer_offsets", "__transaction_state", "__share_group_state"]
}

/// Hands out producer ids from blocks the controller allocates (KIP-730), for InitProducerId.
final class ProducerIdSource: Sendable {
    private let block = Mutex<(next: Int64, end: Int64)>((0, 0))

    func next(_ context: BrokerContext) async throws -> Int64 {
        if let id = block.withLock({ b -> Int64? in
            guard b.next < b.end else { return nil }
            defer { b.next += 1 }
            return b.next
        }) { return id }
        let nodeId = context.nodeId
        let epoch = context.replicas.brokerEpoch.current
        let allocated = try await context.controller.allocateProducerIds(brokerId: nodeId, brokerEpoch: epoch)
        guard allocated.error.isSuccess else { throw allocated.error }
        return block.withLock { b in
            b = (allocated.firstProducerId + 1, allocated.firstProducerId + Int64(allocated.count))
            return allocated.firstProducerId
        }
    }
}
