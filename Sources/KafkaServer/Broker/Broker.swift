import KafkaMetadata
import KafkaProtocol
import KafkaRaft
import KafkaStorage
import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// A running node: broker and controller in one process, with a metadata quorum of one voter or one voter of a
/// static multi-node quorum (`BrokerConfig.runsRaftQuorum`).
///
/// Start-up: format the log directories on first start (meta.properties; the metadata log's bootstrap records),
/// replay the metadata log, register this node and heartbeat it unfenced, open the partition logs it leads, then
/// bind the listeners (in a multi-node quorum, after the registration: see `ClientListeners`). Every controller
/// command goes through the `ControllerChannel`.
public final class Broker: Sendable {
    public let context: BrokerContext
    let listeners: ClientListeners
    /// Done when the client listeners are bound (at once on a single node; after the registration in a quorum).
    let serving: Task<Void, any Error>
    let group: MultiThreadedEventLoopGroup
    let logs: LogManager
    let maintenance: Task<Void, Never>
    let heartbeats: Task<Void, Never>
    let directoryLocks: DirectoryLocks
    let cleaner: LogCleanerService?
    let fetchers: ReplicaFetchers
    /// The replication driver: acks=all timeouts, ISR shrinks, AlterPartition requests.
    let replication: Task<Void, Never>

    /// The ports actually bound, by listener name.
    public var boundPorts: [String: Int] { listeners.ports }

    /// Returns once the client listeners are bound; throws when binding failed or the node stopped first.
    public func waitUntilServing() async throws { try await serving.value }

    /// Wall-clock milliseconds, Kafka's timestamps.
    public static let wallClock: @Sendable () -> Int64 = {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    private init(context: BrokerContext, listeners: ClientListeners, serving: Task<Void, any Error>,
                 group: MultiThreadedEventLoopGroup,
                 logs: LogManager, maintenance: Task<Void, Never>, heartbeats: Task<Void, Never>,
                 directoryLocks: DirectoryLocks, cleaner: LogCleanerService?, fetchers: ReplicaFetchers,
                 replication: Task<Void, Never>) {
        self.fetchers = fetchers
        self.replication = replication
        self.context = context
        self.listeners = listeners
        self.serving = serving
        self.group = group
        self.logs = logs
        self.maintenance = maintenance
        self.heartbeats = heartbeats
        self.directoryLocks = directoryLocks
        self.cleaner = cleaner
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
        // Client connections and cached segment files share the open-file limit with everything else: running
        // out of descriptors kills the process (see DescriptorBudget), so both are capped to fit it.
        let connectionLimits = try BrokerConnectionLimits(
            network: config.network, overridesOrigin: config.values["max.connections.per.ip.overrides"]?.origin ?? .defaultValue,
            softFileLimit: OpenFileLimit.soft, maxOpenSegmentFiles: storage.maxOpenFiles)
        connectionLimits.logReductions(network: config.network, maxOpenSegmentFiles: storage.maxOpenFiles, logger: logger)
        storage.maxOpenFiles = connectionLimits.budget.segmentFiles
        let logs = try LogManager(configuration: storage, fileSystem: fs, now: clock())
        let replicas = ReplicaManager(logs: logs, clock: clock, logger: logger)
        for (dir, clean) in zip(config.logDirs, logs.cleanShutdown) where !clean && !logs.partitions.isEmpty {
            logger.info("log directory \(dir) was not shut down cleanly: each partition is recovered when it is opened (those that lose bytes are logged)")
        }

        var controllerConfig = ControllerConfiguration(
            defaultNumPartitions: config.topics.numPartitions,
            defaultReplicationFactor: Int16(clamping: config.topics.defaultReplicationFactor),
            deleteTopicEnable: config.topics.deleteTopicEnable,
            uncleanLeaderElectionEnable: config.topicDefaults.uncleanLeaderElectionEnable)
        controllerConfig.configSchema = TopicConfigSchema.schema(config)
        controllerConfig.autoLeaderRebalanceEnable = config.values.bool("auto.leader.rebalance.enable")
        controllerConfig.leaderImbalanceCheckIntervalMs = config.values.long("leader.imbalance.check.interval.seconds") * 1000
        let nodeId = config.nodeId
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, min(Int(config.network.numNetworkThreads), System.coreCount)))
        let fetchers = ReplicaFetchers(
            nodeId: nodeId, replicas: replicas, settings: config.replication, listenerName: config.interBrokerListenerName,
            group: group, requestTimeoutMs: Int64(config.values.int("replica.socket.timeout.ms")), clock: clock, logger: logger)
        let applier = PartitionApplier(replicas: replicas, fetchers: fetchers, config: config, nodeId: nodeId, clock: clock, logger: logger)
        let sessionTimeoutMs = Int64(config.values.int("broker.session.timeout.ms"))
        let metadata: MetadataDriver
        let quorum = config.runsRaftQuorum
        if quorum {
            // One voter of a multi-node quorum: the metadata log is Raft's, on the controller listener; the first
            // leader bootstraps it, every node replays what is committed.
            let seed = UInt64.random(in: 0..<1_000_000)
            let raft = config.raftDriverConfig(clusterId: clusterId, seed: seed)
            let voters = config.quorumVoters.map { "\($0.id)@\($0.endpoint)" }.joined(separator: ",")
            if config.isQuorumObserver {
                logger.info("metadata quorum \(voters), followed as an observer (broker-only node)")
            } else {
                logger.info("metadata quorum \(voters), controller listener \(raft.listenerName)://\(raft.listenHost):\(raft.port), election seed \(seed)")
            }
            metadata = try await MetadataDriver.start(
                quorum: raft, observer: config.isQuorumObserver, group: group,
                connectionLimiter: ConnectionLimiter(quota: connectionLimits.controller, eventLoop: group.next(), rejections: nil),
                configuration: controllerConfig, sessionTimeoutMs: sessionTimeoutMs,
                clock: clock, logger: logger, onCommit: { delta in applier.apply(delta) })
        } else {
            metadata = try MetadataDriver(
                directory: config.metadataLogDir + "/__cluster_metadata-0", cache: logs.cache,
                configuration: controllerConfig, sessionTimeoutMs: sessionTimeoutMs,
                clock: clock, logger: logger, onCommit: { delta in applier.apply(delta) })
            if try await metadata.bootstrapIfEmpty() { logger.info("metadata log bootstrapped") }
        }
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
        // In a quorum the active controller may be another node: commands go to it over its controller listener.
        let forwarding = quorum ? ForwardingControllerChannel(
            nodeId: nodeId, clusterId: clusterId,
            voters: config.quorumVoters.map { KafkaRaft.QuorumVoter(id: $0.id, host: $0.endpoint.host, port: $0.endpoint.port) },
            local: metadata, group: group, attemptTimeoutMs: Int64(config.values.int("controller.quorum.request.timeout.ms")),
            deadlineMs: Int64(config.values.int("request.timeout.ms")), logger: logger) : nil
        let channel: any ControllerChannel = forwarding ?? metadata
        let lifecycle = BrokerLifecycle(
            controller: channel, cache: metadata.cache, nodeId: nodeId, epoch: replicas.brokerEpoch,
            intervalMs: Int64(config.values.int("broker.heartbeat.interval.ms")), logger: logger)
        if !quorum {
            try await lifecycle.register(spec)
            // Every partition this node hosts, not only those the start-up commits touched. (In a quorum the
            // replay of the committed log from its start reaches the applier commit by commit.)
            applier.apply(MetadataDelta(from: MetadataImage(), to: await metadata.image), initialLoad: true)
        }

        let context = BrokerContext(config: config, clusterId: clusterId, metadata: metadata, controller: channel, replicas: replicas,
                                    group: group, clock: clock, logger: logger)
        let router = BrokerHandlers.router(context)
        // Transactions a crash left between PREPARE and COMPLETE are finished now, not on the next client request.
        await context.transactions.loadExisting(context)
        let badConnections = BadConnectionLog(logger: logger, clock: clock)
        let controllerNames = Set(config.controllerListenerNames)
        var clientEndpoints: [ClientListeners.Endpoint] = []
        for endpoint in config.listeners where !controllerNames.contains(endpoint.name) {
            guard endpoint.securityProtocol == .plaintext else {
                logger.warning("listener \(endpoint.name) uses \(endpoint.securityProtocol.rawValue), not supported yet; not bound")
                continue
            }
            clientEndpoints.append(.init(name: endpoint.name, host: endpoint.host ?? "0.0.0.0", port: endpoint.port,
                                   protocolName: endpoint.securityProtocol.rawValue))
        }
        let listeners = ClientListeners(
            endpoints: clientEndpoints, group: group, router: router, maxRequestSize: Int(config.network.socketRequestMaxBytes),
            logger: logger, badConnections: badConnections,
            limiter: ConnectionLimiter(quota: connectionLimits.clients, eventLoop: group.next(), rejections: badConnections))
        let isBroker = config.isBroker
        let serving: Task<Void, any Error>
        if quorum && isBroker {
            // The registration waits for an active controller (the forwarding channel finds it), then for the
            // unfencing, which needs this node caught up with the metadata log; only then do clients get in.
            logger.info("client listeners open once this broker is registered and caught up with the metadata log")
            serving = Task.detached {
                await lifecycle.registerRetrying(spec)
                try Task.checkCancellation()
                try await listeners.bindAll()
            }
        } else {
            try await listeners.bindAll()
            serving = Task { () async throws -> Void in }
        }
        let heartbeats = Task.detached {
            // A controller-only node has no broker to register (its brokers are other processes).
            guard isBroker else { return }
            if quorum {
                guard (try? await serving.value) != nil else { return }
            }
            await lifecycle.run()
        }
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
        // Compaction runs on its own threads, never on the event loops (log.cleaner.enable).
        // (Not on a controller-only node: it hosts no partition logs, and each cleaner thread holds a large
        // offset map.)
        let cleaner = config.replication.logCleanerEnable && config.isBroker
            ? LogCleanerService(logs: logs, settings: LogCleanerService.settings(config), clock: clock, logger: logger) : nil
        cleaner?.start()
        let driver = ReplicationDriver(nodeId: nodeId, replicas: replicas, controller: channel, cache: metadata.cache,
                                       clock: clock, logger: logger)
        let replication = Task.detached { await driver.run() }
        return Broker(context: context, listeners: listeners, serving: serving, group: group, logs: logs, maintenance: maintenance,
                      heartbeats: heartbeats, directoryLocks: directoryLocks, cleaner: cleaner, fetchers: fetchers,
                      replication: replication)
    }

    /// Stops accepting, closes connections, flushes and checkpoints, and writes the clean-shutdown marker so the
    /// next start skips recovery.
    public func shutdown() async {
        serving.cancel()
        await listeners.close()
        maintenance.cancel()
        heartbeats.cancel()
        replication.cancel()
        fetchers.stop()
        cleaner?.stop()
        if let forwarding = context.controller as? ForwardingControllerChannel, context.config.isBroker {
            // Controlled shutdown (KIP-631): the active controller, wherever it runs, fences this broker and moves
            // its leaders before the node goes, so that none is handed to it while its session runs out. Bounded:
            // a cluster without an active controller cannot answer, and the shutdown goes on without it.
            _ = try? await forwarding.submit(.brokerHeartbeat(BrokerHeartbeatSpec(
                brokerId: context.nodeId, brokerEpoch: context.replicas.brokerEpoch.current,
                currentMetadataOffset: context.metadata.cache.offset, wantShutDown: true)), deadlineMs: 3000)
        }
        (context.controller as? ForwardingControllerChannel)?.close()
        context.interBroker.close()
        let quorum = context.metadata.quorum != nil
        if quorum {
            // The Raft node runs on this event loop group: it resigns and stops before the group does.
            try? await context.metadata.close()
        }
        try? await group.shutdownGracefully()
        do {
            if !quorum { try await context.metadata.close() }
            try logs.close(brokerEpoch: max(context.replicas.brokerEpoch.current, 0), now: context.clock())
        } catch {
            context.logger.error("shutdown: \(error)")
        }
        // Last: until the files are closed no other process may open these directories.
        directoryLocks.release()
        context.logger.info("shut down cleanly")
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
