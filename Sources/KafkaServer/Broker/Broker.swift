import KafkaMetadata
import KafkaProtocol
import KafkaStorage
import Logging
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A running node: broker and controller in one process with a metadata quorum of one voter.
///
/// Start-up: format the log directories on first start (meta.properties; the metadata log's bootstrap records),
/// replay the metadata log, register this node, open the partition logs it leads, then bind the listeners.
public final class Broker: Sendable {
    public let context: BrokerContext
    public let listeners: [KafkaListener]
    let group: MultiThreadedEventLoopGroup
    let logs: LogManager
    let maintenance: Task<Void, Never>

    /// The ports actually bound, by listener name.
    public var boundPorts: [String: Int] {
        Dictionary(listeners.map { ($0.name, $0.port) }, uniquingKeysWith: { a, _ in a })
    }

    /// Wall-clock milliseconds, Kafka's timestamps.
    public static let wallClock: @Sendable () -> Int64 = {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    private init(context: BrokerContext, listeners: [KafkaListener], group: MultiThreadedEventLoopGroup,
                 logs: LogManager, maintenance: Task<Void, Never>) {
        self.context = context
        self.listeners = listeners
        self.group = group
        self.logs = logs
        self.maintenance = maintenance
    }

    public static func start(
        config: BrokerConfig, clusterIdFromEnvironment: String? = nil, logger: Logger,
        clock: @escaping @Sendable () -> Int64 = Broker.wallClock
    ) async throws -> Broker {
        var logger = logger
        logger[metadataKey: "node"] = "\(config.nodeId)"
        let fs = PosixFileSystem()
        let clusterId = try StorageFormatter.ensureFormatted(config: config, clusterId: clusterIdFromEnvironment, fileSystem: fs, logger: logger)
        var storage = LogManager.Configuration(logDirs: config.logDirs)
        storage.defaultConfig = config.defaultLogConfig
        storage.retentionCheckIntervalMs = config.replication.logRetentionCheckIntervalMs
        let logs = try LogManager(configuration: storage, fileSystem: fs, now: clock())
        let replicas = ReplicaManager(logs: logs, clock: clock, logger: logger)

        var controllerConfig = ControllerConfiguration(
            defaultNumPartitions: config.topics.numPartitions,
            defaultReplicationFactor: Int16(clamping: config.topics.defaultReplicationFactor),
            deleteTopicEnable: config.topics.deleteTopicEnable)
        controllerConfig.configSchema = TopicConfigSchema.schema(config)
        let nodeId = config.nodeId
        let applier = PartitionApplier(logs: logs, config: config, nodeId: nodeId, clock: clock, logger: logger)
        let metadata = try MetadataDriver(
            directory: config.metadataLogDir + "/__cluster_metadata-0", cache: logs.cache,
            configuration: controllerConfig, clock: clock, logger: logger,
            onCommit: { image, records in applier.apply(image, records) })
        if await metadata.isEmpty {
            _ = try await metadata.run { c, _ in c.bootstrap() }
            logger.info("metadata log bootstrapped")
        }
        // Register this node; the epoch is the offset of its registration record, as Kafka does.
        let epoch = await metadata.nextOffset
        let endpoints = config.advertisedListeners.map {
            BrokerRegistration.Endpoint(name: $0.name, host: $0.host ?? "localhost", port: UInt16(clamping: $0.port),
                                        securityProtocol: $0.securityProtocol.id)
        }
        var incarnation = SystemRandomNumberGenerator()
        let spec = BrokerRegistrationSpec(
            brokerId: nodeId, incarnationId: KafkaUUID(mostSignificantBits: incarnation.next(), leastSignificantBits: incarnation.next()),
            listeners: endpoints, supportedFeatures: [.init(name: MetadataVersion.featureName, minVersion: 1, maxVersion: MetadataVersion.latestProduction.featureLevel)],
            rack: config.brokerRack, logDirectories: [])
        let registration = try await metadata.run { c, _ in c.registerBroker(spec, brokerEpoch: epoch, fenced: false) }
        guard registration.error.isSuccess else { throw registration.error }
        let unfence = try await metadata.run { c, _ in c.unfenceBroker(nodeId, brokerEpoch: epoch) }
        if unfence.isFailure { logger.debug("unfence: \(unfence)") }
        applier.apply(await metadata.image, [])

        let context = BrokerContext(config: config, clusterId: clusterId, metadata: metadata, replicas: replicas,
                                    clock: clock, logger: logger)
        let router = BrokerHandlers.router(context)
        // Transactions a crash left between PREPARE and COMPLETE are finished now, not on the next client request.
        await context.transactions.loadExisting(context)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, min(Int(config.network.numNetworkThreads), System.coreCount)))
        var bound: [KafkaListener] = []
        let controllerNames = Set(config.controllerListenerNames)
        for endpoint in config.listeners where !controllerNames.contains(endpoint.name) {
            guard endpoint.securityProtocol == .plaintext else {
                logger.warning("listener \(endpoint.name) uses \(endpoint.securityProtocol.rawValue), not supported yet; not bound")
                continue
            }
            let host = endpoint.host ?? "0.0.0.0"
            let listener = try await KafkaListener.bind(
                name: endpoint.name, host: host, port: endpoint.port, group: group, router: router,
                maxRequestSize: Int(config.network.socketRequestMaxBytes), logger: logger)
            logger.info("listening on \(endpoint.name)://\(host):\(listener.port)")
            bound.append(listener)
        }
        let maintenance = Task.detached {
            // Retention, flush.ms and checkpoints, on the log manager's own schedule.
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                for (tp, error) in logs.tick(now: clock()) { logger.error("maintenance of \(tp) failed: \(error)") }
            }
        }
        return Broker(context: context, listeners: bound, group: group, logs: logs, maintenance: maintenance)
    }

    /// Stops accepting, closes connections, flushes and checkpoints, and writes the clean-shutdown marker so the
    /// next start skips recovery.
    public func shutdown() async {
        for l in listeners { await l.close() }
        maintenance.cancel()
        try? await group.shutdownGracefully()
        do {
            try await context.metadata.close()
            try logs.close(brokerEpoch: context.image.brokers[context.nodeId]?.epoch ?? 0, now: context.clock())
        } catch {
            context.logger.error("shutdown: \(error)")
        }
        context.logger.info("shut down cleanly")
    }
}

/// Keeps the partition logs in step with the metadata: a log for every partition this node hosts, none for
/// deleted topics (Kafka's broker-side metadata publisher).
final class PartitionApplier: Sendable {
    let logs: LogManager
    let config: BrokerConfig
    let nodeId: Int32
    let clock: @Sendable () -> Int64
    let logger: Logger

    init(logs: LogManager, config: BrokerConfig, nodeId: Int32, clock: @escaping @Sendable () -> Int64, logger: Logger) {
        self.logs = logs
        self.config = config
        self.nodeId = nodeId
        self.clock = clock
        self.logger = logger
    }

    func apply(_ image: MetadataImage, _ records: [MetadataRecord]) {
        let now = clock()
        var wanted: Set<TopicPartition> = []
        for topic in image.topicsById.values {
            let overrides = image.topicConfigs(topic.name)
            let settings = (try? config.topicDefaults.applying(overrides: overrides)) ?? config.topicDefaults
            let logConfig = settings.logConfig(producerIdExpirationMs: Int64(config.transactions.producerIdExpirationMs))
            for p in topic.partitions.values where p.replicas.contains(nodeId) {
                let tp = TopicPartition(topic.name, p.partitionId)
                wanted.insert(tp)
                do {
                    if try logs.log(tp, now: now) == nil {
                        _ = try logs.createLog(tp, config: logConfig, topicId: topic.id, now: now)
                    }
                } catch {
                    logger.error("cannot open the log of \(tp): \(error)")
                }
            }
        }
        // Logs are deleted only when a topic deletion is committed: a log on disk that the image does not know at
        // start-up is left alone (Kafka would mark it stray), so a lost metadata log never deletes data.
        let deletion = records.contains { if case .removeTopic = $0 { return true } else { return false } }
        guard deletion else { return }
        for tp in logs.partitions where !wanted.contains(tp) && !tp.topic.hasPrefix("__cluster_metadata") {
            do {
                try logs.deleteLog(tp)
                logger.info("deleted the log of \(tp)")
            } catch {
                logger.error("cannot delete the log of \(tp): \(error)")
            }
        }
    }
}

extension SecurityProtocol {
    /// Kafka's numeric id of the protocol (RegisterBrokerRecord's SecurityProtocol).
    var id: Int16 {
        switch self {
        case .plaintext: return 0
        case .ssl: return 1
        case .saslPlaintext: return 2
        case .saslSsl: return 3
        }
    }
}
