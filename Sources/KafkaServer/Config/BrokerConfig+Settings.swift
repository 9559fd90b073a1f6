/// How topics are created when a request does not say (and whether they may be created or deleted at all).
public struct TopicCreationSettings: Sendable, Equatable {
    public var numPartitions: Int32
    public var defaultReplicationFactor: Int32
    public var autoCreateTopicsEnable: Bool
    public var deleteTopicEnable: Bool

    init(_ v: ConfigValues) {
        numPartitions = v.int("num.partitions")
        defaultReplicationFactor = v.int("default.replication.factor")
        autoCreateTopicsEnable = v.bool("auto.create.topics.enable")
        deleteTopicEnable = v.bool("delete.topic.enable")
    }
}

/// Settings of the group coordinator and `__consumer_offsets`.
public struct GroupCoordinatorSettings: Sendable, Equatable {
    public var offsetsTopicNumPartitions: Int32
    public var offsetsTopicReplicationFactor: Int16
    public var offsetsTopicSegmentBytes: Int32
    /// `offsets.retention.minutes` in milliseconds.
    public var offsetsRetentionMs: Int64
    public var offsetsRetentionCheckIntervalMs: Int64
    public var offsetsCommitTimeoutMs: Int32
    public var offsetMetadataMaxBytes: Int32
    public var initialRebalanceDelayMs: Int32
    public var minSessionTimeoutMs: Int32
    public var maxSessionTimeoutMs: Int32
    public var maxSize: Int32
    public var rebalanceProtocols: [String]
    /// KIP-848 (`group.consumer.*`).
    public var consumerSessionTimeoutMs: Int32
    public var consumerHeartbeatIntervalMs: Int32
    public var consumerReconciliationHeartbeatIntervalMs: Int32
    public var consumerMaxSize: Int32
    public var consumerAssignors: [String]
    /// `group.consumer.migration.policy` allows upgrading a classic group / downgrading a consumer group.
    public var consumerMigrationUpgrade: Bool
    public var consumerMigrationDowngrade: Bool

    init(_ v: ConfigValues) {
        offsetsTopicNumPartitions = v.int("offsets.topic.num.partitions")
        offsetsTopicReplicationFactor = v.short("offsets.topic.replication.factor")
        offsetsTopicSegmentBytes = v.int("offsets.topic.segment.bytes")
        offsetsRetentionMs = Int64(v.int("offsets.retention.minutes")) * 60_000
        offsetsRetentionCheckIntervalMs = v.long("offsets.retention.check.interval.ms")
        offsetsCommitTimeoutMs = v.int("offsets.commit.timeout.ms")
        offsetMetadataMaxBytes = v.int("offset.metadata.max.bytes")
        initialRebalanceDelayMs = v.int("group.initial.rebalance.delay.ms")
        minSessionTimeoutMs = v.int("group.min.session.timeout.ms")
        maxSessionTimeoutMs = v.int("group.max.session.timeout.ms")
        maxSize = v.int("group.max.size")
        rebalanceProtocols = v.list("group.coordinator.rebalance.protocols")
        consumerSessionTimeoutMs = v.int("group.consumer.session.timeout.ms")
        consumerHeartbeatIntervalMs = v.int("group.consumer.heartbeat.interval.ms")
        consumerReconciliationHeartbeatIntervalMs = v.int("group.consumer.reconciliation.heartbeat.interval.ms")
        consumerMaxSize = v.int("group.consumer.max.size")
        consumerAssignors = v.list("group.consumer.assignors").map(Self.assignorName)
        let policy = (v.string("group.consumer.migration.policy") ?? "bidirectional").lowercased()
        consumerMigrationUpgrade = policy == "upgrade" || policy == "bidirectional"
        consumerMigrationDowngrade = policy == "downgrade" || policy == "bidirectional"
    }

    /// Kafka accepts the assignors' class names as well as their names.
    static func assignorName(_ value: String) -> String {
        switch value {
        case "org.apache.kafka.coordinator.group.assignor.UniformAssignor": return "uniform"
        case "org.apache.kafka.coordinator.group.assignor.RangeAssignor": return "range"
        default: return value
        }
    }
}

/// Settings of the transaction coordinator, producer ids and `__transaction_state`.
public struct TransactionSettings: Sendable, Equatable {
    public var stateLogNumPartitions: Int32
    public var stateLogReplicationFactor: Int16
    public var stateLogMinIsr: Int32
    public var stateLogSegmentBytes: Int32
    public var maxTimeoutMs: Int32
    public var transactionalIdExpirationMs: Int32
    public var producerIdExpirationMs: Int32
    public var partitionVerificationEnable: Bool

    init(_ v: ConfigValues) {
        stateLogNumPartitions = v.int("transaction.state.log.num.partitions")
        stateLogReplicationFactor = v.short("transaction.state.log.replication.factor")
        stateLogMinIsr = v.int("transaction.state.log.min.isr")
        stateLogSegmentBytes = v.int("transaction.state.log.segment.bytes")
        maxTimeoutMs = v.int("transaction.max.timeout.ms")
        transactionalIdExpirationMs = v.int("transactional.id.expiration.ms")
        producerIdExpirationMs = v.int("producer.id.expiration.ms")
        partitionVerificationEnable = v.bool("transaction.partition.verification.enable")
    }
}

/// Socket and request-handling settings.
public struct NetworkSettings: Sendable, Equatable {
    public var socketRequestMaxBytes: Int32
    /// -1 keeps the operating system's default.
    public var socketSendBufferBytes: Int32
    public var socketReceiveBufferBytes: Int32
    public var socketListenBacklogSize: Int32
    public var numNetworkThreads: Int32
    public var numIoThreads: Int32
    public var queuedMaxRequests: Int32
    public var connectionsMaxIdleMs: Int64
    public var maxConnections: Int32
    public var maxConnectionsPerIp: Int32
    /// `max.connections.per.ip.overrides` as written ("host:count,..."; `ConnectionQuota.parseOverrides`).
    public var maxConnectionsPerIpOverrides: String
    public var requestTimeoutMs: Int32
    public var messageMaxBytes: Int32
    public var fetchMaxBytes: Int32

    init(_ v: ConfigValues) {
        socketRequestMaxBytes = v.int("socket.request.max.bytes")
        socketSendBufferBytes = v.int("socket.send.buffer.bytes")
        socketReceiveBufferBytes = v.int("socket.receive.buffer.bytes")
        socketListenBacklogSize = v.int("socket.listen.backlog.size")
        numNetworkThreads = v.int("num.network.threads")
        numIoThreads = v.int("num.io.threads")
        queuedMaxRequests = v.int("queued.max.requests")
        connectionsMaxIdleMs = v.long("connections.max.idle.ms")
        maxConnections = v.int("max.connections")
        maxConnectionsPerIp = v.int("max.connections.per.ip")
        maxConnectionsPerIpOverrides = v.string("max.connections.per.ip.overrides") ?? ""
        requestTimeoutMs = v.int("request.timeout.ms")
        messageMaxBytes = v.int("message.max.bytes")
        fetchMaxBytes = v.int("fetch.max.bytes")
    }
}

/// Replication and log-manager settings that are not per topic.
public struct ReplicationSettings: Sendable, Equatable {
    public var replicaLagTimeMaxMs: Int64
    public var replicaFetchMaxBytes: Int32
    public var replicaFetchWaitMaxMs: Int32
    public var replicaFetchMinBytes: Int32
    public var replicaFetchResponseMaxBytes: Int32
    public var replicaFetchBackoffMs: Int32
    public var numReplicaFetchers: Int32
    public var replicaHighWatermarkCheckpointIntervalMs: Int64
    public var numRecoveryThreadsPerDataDir: Int32
    public var logRetentionCheckIntervalMs: Int64
    public var logFlushOffsetCheckpointIntervalMs: Int32
    public var logCleanerEnable: Bool
    public var logCleanerThreads: Int32
    /// `log.cleaner.dedupe.buffer.size`: offset-map memory of all cleaner threads together.
    public var logCleanerDedupeBufferSize: Int64
    /// `log.cleaner.io.buffer.size`.
    public var logCleanerIOBufferSize: Int32
    /// `log.cleaner.io.buffer.load.factor`.
    public var logCleanerIOBufferLoadFactor: Double
    /// `log.cleaner.io.max.bytes.per.second`.
    public var logCleanerIOMaxBytesPerSecond: Double
    /// `log.cleaner.backoff.ms`.
    public var logCleanerBackoffMs: Int64

    init(_ v: ConfigValues) {
        replicaLagTimeMaxMs = v.long("replica.lag.time.max.ms")
        replicaFetchMaxBytes = v.int("replica.fetch.max.bytes")
        replicaFetchWaitMaxMs = v.int("replica.fetch.wait.max.ms")
        replicaFetchMinBytes = v.int("replica.fetch.min.bytes")
        replicaFetchResponseMaxBytes = v.int("replica.fetch.response.max.bytes")
        replicaFetchBackoffMs = v.int("replica.fetch.backoff.ms")
        numReplicaFetchers = v.int("num.replica.fetchers")
        replicaHighWatermarkCheckpointIntervalMs = v.long("replica.high.watermark.checkpoint.interval.ms")
        numRecoveryThreadsPerDataDir = v.int("num.recovery.threads.per.data.dir")
        logRetentionCheckIntervalMs = v.long("log.retention.check.interval.ms")
        logFlushOffsetCheckpointIntervalMs = v.int("log.flush.offset.checkpoint.interval.ms")
        logCleanerEnable = v.bool("log.cleaner.enable")
        logCleanerThreads = v.int("log.cleaner.threads")
        logCleanerDedupeBufferSize = v.long("log.cleaner.dedupe.buffer.size")
        logCleanerIOBufferSize = v.int("log.cleaner.io.buffer.size")
        logCleanerIOBufferLoadFactor = v.double("log.cleaner.io.buffer.load.factor")
        logCleanerIOMaxBytesPerSecond = v.double("log.cleaner.io.max.bytes.per.second")
        logCleanerBackoffMs = v.long("log.cleaner.backoff.ms")
    }
}
