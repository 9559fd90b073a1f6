import KafkaCoordinator
import KafkaMetadata
import KafkaProtocol
import KafkaStorage
import Logging
import Synchronization

/// The group coordinator of this node: one `GroupShardDriver` per `__consumer_offsets` partition it leads, the
/// topic created on first use (as Kafka creates it on the first FindCoordinator), groups mapped to partitions as
/// Kafka maps them (Java's `String.hashCode`, made non-negative, modulo the partition count).
public final class GroupCoordinatorService: Sendable {
    public static let topic = "__consumer_offsets"
    let replicas: ReplicaManager
    /// This broker: it coordinates the groups of the partitions it leads.
    let nodeId: Int32
    let controller: any ControllerChannel
    let cache: MetadataCache
    let settings: GroupCoordinatorSettings
    let coordinatorConfig: GroupCoordinatorConfig
    let clock: @Sendable () -> Int64
    let logger: Logger
    private let shards = Mutex<[Int32: GroupShardDriver]>([:])

    init(replicas: ReplicaManager, nodeId: Int32, controller: any ControllerChannel, cache: MetadataCache, settings: GroupCoordinatorSettings,
         clock: @escaping @Sendable () -> Int64, logger: Logger) {
        self.replicas = replicas
        self.nodeId = nodeId
        self.controller = controller
        self.cache = cache
        self.settings = settings
        var c = GroupCoordinatorConfig()
        c.minSessionTimeoutMs = settings.minSessionTimeoutMs
        c.maxSessionTimeoutMs = settings.maxSessionTimeoutMs
        c.initialRebalanceDelayMs = Int64(settings.initialRebalanceDelayMs)
        c.maxGroupSize = Int(settings.maxSize)
        c.offsetsRetentionMs = settings.offsetsRetentionMs
        c.offsetsRetentionCheckIntervalMs = settings.offsetsRetentionCheckIntervalMs
        c.offsetMetadataMaxBytes = Int(settings.offsetMetadataMaxBytes)
        c.consumerSessionTimeoutMs = Int64(settings.consumerSessionTimeoutMs)
        c.consumerHeartbeatIntervalMs = settings.consumerHeartbeatIntervalMs
        c.consumerReconciliationHeartbeatIntervalMs = settings.consumerReconciliationHeartbeatIntervalMs
        c.consumerMaxGroupSize = Int(settings.consumerMaxSize)
        c.consumerAssignors = settings.consumerAssignors
        c.consumerMigrationUpgrade = settings.consumerMigrationUpgrade
        c.consumerMigrationDowngrade = settings.consumerMigrationDowngrade
        self.coordinatorConfig = c
        self.clock = clock
        self.logger = logger
    }

    /// Kafka's partition of a group: `abs(groupId.hashCode()) % partitions` with Java's string hash over UTF-16.
    public static func partition(for groupId: String, partitions: Int32) -> Int32 {
        var h: Int32 = 0
        for unit in groupId.utf16 { h = h &* 31 &+ Int32(unit) }
        // Kafka's Utils.abs maps Int.MIN_VALUE to 0 rather than overflowing.
        let positive = h == Int32.min ? 0 : abs(h)
        return positive % partitions
    }

    /// Creates `__consumer_offsets` when it does not exist yet; returns its partition count.
    func ensureTopic() async throws -> Int32 {
        if let t = cache.image.topic(named: Self.topic) { return Int32(t.partitions.count) }
        let spec = CreateTopicSpec(
            name: Self.topic, numPartitions: settings.offsetsTopicNumPartitions,
            replicationFactor: settings.offsetsTopicReplicationFactor,
            configs: [
                .init(name: "cleanup.policy", value: "compact"),
                .init(name: "compression.type", value: "producer"),
                .init(name: "segment.bytes", value: String(settings.offsetsTopicSegmentBytes)),
            ])
        let results = try await controller.createTopics([spec])
        if let r = results.first, r.error.isFailure, r.error.error != .topicAlreadyExists {
            logger.error("cannot create \(Self.topic): \(r.error)")
            throw r.error
        }
        // The creation itself is logged where every topic creation is (PartitionApplier).
        return Int32(cache.image.topic(named: Self.topic)?.partitions.count ?? Int(settings.offsetsTopicNumPartitions))
    }

    /// The shard driver that coordinates `groupId`.
    /// Throws NOT_COORDINATOR when the image names another broker as the partition's leader: its coordinator is
    /// there (FindCoordinator names it), and this node must not load a log it does not lead.
    func shard(for groupId: String) async throws -> GroupShardDriver {
        let partitions = try await ensureTopic()
        let partition = Self.partition(for: groupId, partitions: partitions)
        if let leader = cache.image.leader(of: Self.topic, partition: partition), leader != nodeId {
            throw KafkaError.notCoordinator
        }
        return shard(partition: partition)
    }

    /// The shard of `__consumer_offsets-<partition>` under this node's current leadership of it: a shard loaded
    /// under an earlier one (the partition was led elsewhere meanwhile, so its log has records that shard never
    /// saw) is unloaded and a fresh one loads from the log.
    func shard(partition: Int32) -> GroupShardDriver {
        let tp = TopicPartition(Self.topic, partition)
        let lease = replicas.roles.lease(tp)
        let (driver, stale) = shards.withLock { s -> (GroupShardDriver, GroupShardDriver?) in
            if let d = s[partition], d.lease == lease { return (d, nil) }
            let d = GroupShardDriver(partition: tp, config: coordinatorConfig, replicas: replicas, lease: lease,
                                     commitTimeoutMs: settings.offsetsCommitTimeoutMs, clock: clock, logger: logger)
            defer { s[partition] = d }
            return (d, s[partition])
        }
        if let stale { Task { await stale.unload() } }
        return driver
    }

    /// Tells the shard of `__consumer_offsets-<partition>` that the transaction marker of a producer was written
    /// there (the transaction coordinator writes it): its transactional offsets become visible or are dropped.
    func transactionCompleted(partition: Int32, producerId: Int64, producerEpoch: Int16, committed: Bool) async {
        await shard(partition: partition).transactionCompleted(producerId: producerId, producerEpoch: producerEpoch, committed: committed)
    }

    /// Every shard (ListGroups asks them all).
    func allShards() async throws -> [GroupShardDriver] {
        let partitions = try await ensureTopic()
        // The shards of the partitions this broker leads (all of them on a single node); ListGroups lists those.
        let image = cache.image
        return (0..<partitions).filter { (image.leader(of: Self.topic, partition: $0) ?? nodeId) == nodeId }
            .map { shard(partition: $0) }
    }
}
