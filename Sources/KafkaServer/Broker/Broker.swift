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
/// replay the metadata log, register this node and heartbeat it unfenced, open the partition logs it leads, then
/// bind the listeners. Every controller command goes through the `ControllerChannel`.
public final class Broker: Sendable {
    public let context: BrokerContext
    public let listeners: [KafkaListener]
    let group: MultiThreadedEventLoopGroup
    let logs: LogManager
    let maintenance: Task<Void, Never>
    let heartbeats: Task<Void, Never>
    let directoryLocks: DirectoryLocks

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
                 logs: LogManager, maintenance: Task<Void, Never>, heartbeats: Task<Void, Never>,
                 directoryLocks: DirectoryLocks) {
        self.context = context
        self.listeners = listeners
        self.group = group
        self.logs = logs
        self.maintenance = maintenance
        self.heartbeats = heartbeats
        self.directoryLocks = directoryLocks
    }

    public static func start(
        config: BrokerConfig, clusterIdFromEnvironment: String? = nil, logger: Logger,
        clock: @escaping @Sendable () -> Int64 = Broker.wallClock
    ) async throws -> Broker {
        // Before touching any directory: a topology that needs a multi-node quorum is refused, not run alone.
        if let refusal = config.unsupportedTopology { throw refusal }
        var logger = logger
        logger[metadataKey: "node"] = "\(config.nodeId)"
        let fs = PosixFileSystem()
        // Before anything reads or formats them: a second process on these directories refuses to start.
        let directoryLocks = try DirectoryLocks.acquire(StorageFormatting.directoriesToFormat(config))
        let clusterId = try StorageFormatter.ensureFormatted(config: config, clusterId: clusterIdFromEnvironment, fileSystem: fs, logger: logger)
        var storage = LogManager.Configuration(logDirs: config.logDirs)
        storage.defaultConfig = config.defaultLogConfig
        storage.retentionCheckIntervalMs = config.replication.logRetentionCheckIntervalMs
        let recoveryLogger = logger
        storage.onRecovery = { tp, report in
            let lost = report.truncatedBytes > 0 || report.segmentsDeleted > 0
            recoveryLogger.log(level: lost ? .info : .debug, "recovered \(tp) after an unclean shutdown: \(report.segmentsChecked) segment\(report.segmentsChecked == 1 ? "" : "s") checked, \(report.truncatedBytes) bytes truncated\(report.segmentsDeleted > 0 ? ", \(report.segmentsDeleted) segments deleted" : ""), log end offset \(report.logEndOffset)")
        }
        let logs = try LogManager(configuration: storage, fileSystem: fs, now: clock())
        let replicas = ReplicaManager(logs: logs, clock: clock, logger: logger)
        for (dir, clean) in zip(config.logDirs, logs.cleanShutdown) where !clean && !logs.partitions.isEmpty {
            logger.info("log directory \(dir) was not shut down cleanly: each partition is recovered when it is opened (those that lose bytes are logged)")
        }

        var controllerConfig = ControllerConfiguration(
            defaultNumPartitions: config.topics.numPartitions,
            defaultReplicationFactor: Int16(clamping: config.topics.defaultReplicationFactor),
            deleteTopicEnable: config.topics.deleteTopicEnable)
        controllerConfig.configSchema = TopicConfigSchema.schema(config)
        let nodeId = config.nodeId
        let applier = PartitionApplier(logs: logs, config: config, nodeId: nodeId, clock: clock, logger: logger)
        let metadata = try MetadataDriver(
            directory: config.metadataLogDir + "/__cluster_metadata-0", cache: logs.cache,
            configuration: controllerConfig, sessionTimeoutMs: Int64(config.values.int("broker.session.timeout.ms")),
            clock: clock, logger: logger, onCommit: { commit in applier.apply(commit.image, commit.records) })
        if try await metadata.bootstrapIfEmpty() { logger.info("metadata log bootstrapped") }
        // Register this node through the controller channel, fenced, then heartbeat until unfenced, as a Kafka broker
        // does with a remote controller; its epoch is the offset of its registration record.
        let endpoints = config.advertisedListeners.map {
            BrokerRegistration.Endpoint(name: $0.name, host: $0.host ?? "localhost", port: UInt16(clamping: $0.port),
                                        securityProtocol: $0.securityProtocol.id)
        }
        var incarnation = SystemRandomNumberGenerator()
        let spec = BrokerRegistrationSpec(
            brokerId: nodeId, incarnationId: KafkaUUID(mostSignificantBits: incarnation.next(), leastSignificantBits: incarnation.next()),
            listeners: endpoints, supportedFeatures: [.init(name: MetadataVersion.featureName, minVersion: 1, maxVersion: MetadataVersion.latestProduction.featureLevel)],
            rack: config.brokerRack, logDirectories: [])
        let lifecycle = BrokerLifecycle(
            controller: metadata, cache: metadata.cache, nodeId: nodeId,
            intervalMs: Int64(config.values.int("broker.heartbeat.interval.ms")), logger: logger)
        try await lifecycle.register(spec)
        applier.apply(await metadata.image, [])

        let context = BrokerContext(config: config, clusterId: clusterId, metadata: metadata, replicas: replicas,
                                    clock: clock, logger: logger)
        let router = BrokerHandlers.router(context)
        // Transactions a crash left between PREPARE and COMPLETE are finished now, not on the next client request.
        await context.transactions.loadExisting(context)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, min(Int(config.network.numNetworkThreads), System.coreCount)))
        var bound: [KafkaListener] = []
        let badConnections = BadConnectionLog(logger: logger, clock: clock)
        let controllerNames = Set(config.controllerListenerNames)
        for endpoint in config.listeners where !controllerNames.contains(endpoint.name) {
            guard endpoint.securityProtocol == .plaintext else {
                logger.warning("listener \(endpoint.name) uses \(endpoint.securityProtocol.rawValue), not supported yet; not bound")
                continue
            }
            let host = endpoint.host ?? "0.0.0.0"
            let listener = try await KafkaListener.bind(
                name: endpoint.name, host: host, port: endpoint.port, group: group, router: router,
                maxRequestSize: Int(config.network.socketRequestMaxBytes), logger: logger, badConnections: badConnections)
            logger.info("listening on \(endpoint.name)://\(host):\(listener.port)\(endpoint.name == endpoint.securityProtocol.rawValue ? "" : " (\(endpoint.securityProtocol.rawValue))")")
            bound.append(listener)
        }
        let heartbeats = Task.detached { await lifecycle.run() }
        let maintenance = Task.detached {
            // Retention, flush.ms and checkpoints, on the log manager's own schedule; the controller's clock.
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                badConnections.flush()
                for (tp, error) in logs.tick(now: clock()) { logger.error("maintenance of \(tp) failed: \(error)") }
                do {
                    for id in try await metadata.tick() {
                        logger.warning("fenced broker \(id): no heartbeat within broker.session.timeout.ms")
                    }
                } catch {
                    logger.error("controller tick failed: \(error)")
                }
            }
        }
        return Broker(context: context, listeners: bound, group: group, logs: logs, maintenance: maintenance,
                      heartbeats: heartbeats, directoryLocks: directoryLocks)
    }

    /// Stops accepting, closes connections, flushes and checkpoints, and writes the clean-shutdown marker so the
    /// next start skips recovery.
    public func shutdown() async {
        for l in listeners { await l.close() }
        maintenance.cancel()
        heartbeats.cancel()
        try? await group.shutdownGracefully()
        do {
            try await context.metadata.close()
            try logs.close(brokerEpoch: context.image.brokers[context.nodeId]?.epoch ?? 0, now: context.clock())
        } catch {
            context.logger.error("shutdown: \(error)")
        }
        // Last: until the files are closed no other process may open these directories.
        directoryLocks.release()
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

    /// Topic names by id as of the last apply, to name a topic whose removal is being applied.
    private let names = Mutex<[KafkaUUID: String]>([:])

    func apply(_ image: MetadataImage, _ records: [MetadataRecord]) {
        logChanges(image, records)
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

extension PartitionApplier {
    /// Topic creation and deletion at info, as Kafka's controller logs them, and a warning for compacted topics
    /// until the log cleaner exists.
    fileprivate func logChanges(_ image: MetadataImage, _ records: [MetadataRecord]) {
        let previous = names.withLock { n in
            defer { n = image.topicsById.mapValues(\.name) }
            return n
        }
        for record in records {
            switch record {
            case .topic(let r, _):
                let partitions = image.topicsById[r.topicId]?.partitions.count ?? 0
                logger.info("created topic \(r.name) with \(partitions) partition\(partitions == 1 ? "" : "s") (topic id \(r.topicId.base64))")
                warnIfCompacted(r.name, image.topicConfigs(r.name)["cleanup.policy"])
            case .removeTopic(let r, _):
                logger.info("deleted topic \(previous[r.topicId] ?? r.topicId.base64)")
            case .config(let r, _) where r.resourceType == 2 && r.name == "cleanup.policy":
                // A topic's own creation logs its policy above; this is a later AlterConfigs.
                if !records.contains(where: { if case .topic(let t, _) = $0 { return t.name == r.resourceName } else { return false } }) {
                    warnIfCompacted(r.resourceName, r.value)
                }
            default:
                break
            }
        }
    }

    private func warnIfCompacted(_ topic: String, _ policy: String?) {
        let effective = policy ?? config.topicDefaults.values["cleanup.policy"].map { "\($0)" } ?? "delete"
        guard effective.contains("compact") else { return }
        logger.warning("topic \(topic) has cleanup.policy=\(effective), but log compaction is not implemented yet: its records are kept until time or size retention removes them (if the policy has delete), never compacted")
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
