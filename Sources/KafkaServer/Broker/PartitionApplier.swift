import Dispatch
import KafkaMetadata
import KafkaProtocol
import KafkaRaft
import KafkaReplication
import KafkaStorage
import Logging

/// Keeps the partition logs in step with the metadata, acting on each commit's `MetadataDelta` (Kafka's
/// broker-side metadata publisher): a log for every partition this node becomes a replica of, none for the
/// partitions of deleted topics. The one place where the broker learns "partition P now has leader L at epoch E,
/// replicas R, ISR I" and what that means for this node: as leader, the epoch's start is recorded in the log and
/// the partition's replication state takes the new term; as follower, the leader's fetcher fetches it.
final class PartitionApplier: Sendable {
    let logs: LogManager
    let replicas: ReplicaManager
    let fetchers: ReplicaFetchers
    let config: BrokerConfig
    let nodeId: Int32
    let clock: @Sendable () -> Int64
    let logger: Logger

    init(replicas: ReplicaManager, fetchers: ReplicaFetchers, config: BrokerConfig, nodeId: Int32,
         clock: @escaping @Sendable () -> Int64, logger: Logger) {
        self.logs = replicas.logs
        self.replicas = replicas
        self.fetchers = fetchers
        self.config = config
        self.nodeId = nodeId
        self.clock = clock
        self.logger = logger
    }

    /// A committed snapshot replaces the image: a log here whose topic id the snapshot does not hold belongs to a
    /// topic deleted (perhaps created again under its name) while this node was away, which no delta will show
    /// when the node never replayed its own log before the snapshot came. Kafka finds such stray logs on its
    /// first metadata load (KAFKA-14616). Only a log that records its topic id is judged; the others are kept.
    /// The metadata log itself (`__cluster_metadata-0`, which shares the log directory by default) is never one.
    private func deleteLogsOfDeletedTopics(_ image: MetadataImage, now: Int64) {
        for tp in logs.partitions where tp.topic != RaftConfig.topicName {
            do {
                guard let handle = try logs.log(tp, now: now), let id = try handle.withLog({ $0.topicId }),
                      id != RaftConfig.topicId, image.topic(id: id) == nil else { continue }
                replicas.roles.remove(tp)
                try logs.deleteLog(tp)
                logger.info("deleted the log of \(tp): its topic id \(id) is not in the metadata snapshot (deleted while away)")
            } catch {
                logger.error("cannot check or delete the log of \(tp) after a metadata snapshot: \(error)")
            }
        }
    }

    /// Applies one commit. `initialLoad` is the image loaded whole at start-up: its topics are not new, so they
    /// are not logged as created.
    func apply(_ delta: MetadataDelta, initialLoad: Bool = false) {
        if !initialLoad { logChanges(delta) }
        let now = clock()
        if delta.fromSnapshot { deleteLogsOfDeletedTopics(delta.image, now: now) }
        let deleted = Set(delta.deletedTopics.map(\.id))
        let local = delta.localChanges(of: nodeId)
        let hosted = deleted.isEmpty ? [] : Set(logs.partitions)
        fetchers.publish(delta.image)
        // Removals first: a topic deleted and created again under its name in one commit gets a fresh log.
        for c in local where c.change == .noLongerReplica {
            let tp = TopicPartition(c.partition.topicName, c.partition.partitionId)
            replicas.roles.remove(tp)
            // Logs are deleted only when a topic deletion is committed; a log on disk that the image does not
            // know is left alone (Kafka would mark it stray), so a lost metadata log never deletes data.
            guard deleted.contains(c.partition.topicId) else {
                logger.info("no longer a replica of \(tp); its log is kept (reassignment is not supported yet)")
                continue
            }
            guard hosted.contains(tp) else { continue }
            do {
                try logs.deleteLog(tp)
                logger.info("deleted the log of \(tp)")
            } catch {
                logger.error("cannot delete the log of \(tp): \(error)")
            }
        }
        // A commit touching many partitions at once — the first load, or the election that unfences this node at
        // start — opens their logs on several threads first.
        if local.count >= 64 { openInParallel(local.filter { $0.change != .noLongerReplica }, now: now) }
        var settings: [KafkaUUID: LogConfig] = [:]
        for c in local where c.change != .noLongerReplica {
            let p = c.partition
            let tp = TopicPartition(p.topicName, p.partitionId)
            do {
                guard try logs.log(tp, now: now) == nil else { continue }
                if settings[p.topicId] == nil { settings[p.topicId] = logConfig(delta.image.topicConfigs(p.topicName)) }
                _ = try logs.createLog(tp, config: settings[p.topicId], topicId: p.topicId, now: now)
            } catch {
                logger.error("cannot open the log of \(tp): \(error)")
            }
        }
        let ineligible = Set(delta.image.brokers.values.filter { !$0.isActive }.map(\.id))
        // Per topic, not per partition: resolving a topic's settings walks every config definition.
        var replicationConfigs: [String: ReplicationConfig] = [:]
        func replication(_ topic: String) -> ReplicationConfig {
            if let known = replicationConfigs[topic] { return known }
            let config = replicationConfig(topic, image: delta.image)
            replicationConfigs[topic] = config
            return config
        }
        for c in local where c.change != .noLongerReplica {
            guard let current = c.partition.current else { continue }
            applyRole(c.partition, current, config: replication(c.partition.topicName), ineligible: ineligible, now: now)
        }
        // A broker fenced or unfenced changes which followers may join an ISR, with no partition change.
        if !delta.changedBrokers.isEmpty {
            let changed = Set(local.map { TopicPartition($0.partition.topicName, $0.partition.partitionId) })
            for tp in replicas.roles.ledPartitions where !changed.contains(tp) {
                guard let topic = delta.image.topic(named: tp.topic), let current = topic.partitions[tp.partition] else { continue }
                let change = PartitionChange(topicId: topic.id, topicName: tp.topic, partitionId: tp.partition,
                                             previous: current, current: current)
                applyRole(change, current, config: replication(tp.topic), ineligible: ineligible, now: now)
            }
        }
        // Logs found on disk at start, and topics whose configs changed (AlterConfigs): the cleaner and retention
        // follow the topic's current settings, not the ones the log was opened with.
        let refresh = initialLoad ? Set(delta.image.topicsById.values.map(\.name)) : Set(delta.changedTopicConfigs.keys)
        for name in refresh.sorted() {
            guard let topic = delta.image.topic(named: name) else { continue }
            let settings = logConfig(delta.image.topicConfigs(name))
            for p in topic.partitions.values where p.replicas.contains(nodeId) {
                let tp = TopicPartition(name, p.partitionId)
                do {
                    guard let handle = try logs.log(tp, now: now) else { continue }
                    try logs.updateConfig(tp, settings)
                    if p.leader == nodeId {
                        // min.insync.replicas may have changed.
                        let config = replication(name)
                        try handle.withLog { log in
                            _ = replicas.roles.withLeader(tp, log: log) { step in step.led.state.config = config }
                        }
                    }
                } catch {
                    logger.error("cannot apply the settings of \(tp): \(error)")
                }
            }
        }
    }

    /// Opens the logs on disk of the partitions a commit touches on `num.recovery.threads.per.data.dir` threads per
    /// log directory, as Kafka's log manager loads them at start: the loops after this then find them open. Opening runs
    /// outside the log manager's lock and each thread takes its own partitions, so they never wait on each other.
    /// Errors are left to the loop, which logs them.
    private func openInParallel(_ changes: [LocalPartitionChange], now: Int64) {
        let present = Set(logs.partitions)
        let partitions = changes.map { TopicPartition($0.partition.topicName, $0.partition.partitionId) }
            .filter { present.contains($0) }
        let threads = min(partitions.count,
                          Int(config.replication.numRecoveryThreadsPerDataDir) * max(1, config.logDirs.count))
        guard threads > 1 else { return }
        let logs = self.logs
        DispatchQueue.concurrentPerform(iterations: threads) { worker in
            for i in stride(from: worker, to: partitions.count, by: threads) {
                _ = try? logs.log(partitions[i], now: now)
            }
        }
    }

    /// Leads or follows one partition as its registration says.
    private func applyRole(_ change: PartitionChange, _ current: PartitionRegistration, config: ReplicationConfig,
                           ineligible: Set<Int32>, now: Int64) {
        let tp = TopicPartition(change.topicName, change.partitionId)
        guard current.leader == nodeId else {
            let followed = PartitionReplicas.Followed(topicId: change.topicId, leader: current.leader, leaderEpoch: current.leaderEpoch)
            switch replicas.roles.follow(tp, followed) {
            case .start: fetchers.start(leader: current.leader)
            case .wake: fetchers.wake(leader: current.leader)
            case .none: break
            }
            return
        }
        let term = PartitionTerm(leader: current.leader, leaderEpoch: current.leaderEpoch, partitionEpoch: current.partitionEpoch,
                                 replicas: current.replicas, isr: current.isr)
        do {
            guard let handle = try logs.log(tp, now: now) else { return }
            let advanced = try handle.withLog { log -> Bool in
                // Kafka's makeLeader: the new epoch starts at the log end before the first append as leader, so
                // followers' diverging-epoch checks see it at once.
                try log.assignEpochStartOffset(term.leaderEpoch)
                return replicas.roles.lead(tp, topicId: change.topicId, term: term, ineligible: ineligible,
                                           config: config, log: log, now: now)
            }
            if advanced { replicas.notifier.notify(tp) }
        } catch {
            logger.error("cannot take leadership of \(tp): \(error)")
        }
    }

    private func replicationConfig(_ topic: String, image: MetadataImage) -> ReplicationConfig {
        let settings = (try? config.topicDefaults.applying(overrides: image.topicConfigs(topic))) ?? config.topicDefaults
        return ReplicationConfig(minInsyncReplicas: Int(settings.minInsyncReplicas),
                                 replicaLagTimeMaxMs: config.replication.replicaLagTimeMaxMs)
    }

    private func logConfig(_ overrides: [String: String]) -> LogConfig {
        let settings = (try? config.topicDefaults.applying(overrides: overrides)) ?? config.topicDefaults
        return settings.logConfig(producerIdExpirationMs: Int64(config.transactions.producerIdExpirationMs))
    }

    /// Topic creation and deletion at info, as Kafka's controller logs them.
    private func logChanges(_ delta: MetadataDelta) {
        let image = delta.image
        for topic in delta.deletedTopics { logger.info("deleted topic \(topic.name)") }
        for topic in delta.createdTopics {
            let partitions = image.topic(id: topic.id)?.partitions.count ?? 0
            logger.info("created topic \(topic.name) with \(partitions) partition\(partitions == 1 ? "" : "s") (topic id \(topic.id.base64))")
        }
    }
}
