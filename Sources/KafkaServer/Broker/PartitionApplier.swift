import KafkaMetadata
import KafkaProtocol
import KafkaStorage
import Logging

/// Keeps the partition logs in step with the metadata, acting on each commit's `MetadataDelta` (Kafka's
/// broker-side metadata publisher): a log for every partition this node becomes a replica of, none for the
/// partitions of deleted topics. The one place where the broker learns "partition P now has leader L at epoch E,
/// replicas R, ISR I" and what that means for this node; replication will act on the same `LocalPartitionChange`s
/// (start fetching from the leader on `becameFollower`, stop on `becameLeader`).
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

    /// Applies one commit. `initialLoad` is the image loaded whole at start-up: its topics are not new, so they
    /// are not logged as created.
    func apply(_ delta: MetadataDelta, initialLoad: Bool = false) {
        if !initialLoad { logChanges(delta) }
        let now = clock()
        let deleted = Set(delta.deletedTopics.map(\.id))
        let local = delta.localChanges(of: nodeId)
        let hosted = deleted.isEmpty ? [] : Set(logs.partitions)
        // Removals first: a topic deleted and created again under its name in one commit gets a fresh log.
        for c in local where c.change == .noLongerReplica {
            let tp = TopicPartition(c.partition.topicName, c.partition.partitionId)
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
        // Logs found on disk at start, and topics whose configs changed (AlterConfigs): the cleaner and retention
        // follow the topic's current settings, not the ones the log was opened with.
        let refresh = initialLoad ? Set(delta.image.topicsById.values.map(\.name)) : Set(delta.changedTopicConfigs.keys)
        for name in refresh.sorted() {
            guard let topic = delta.image.topic(named: name) else { continue }
            let settings = logConfig(delta.image.topicConfigs(name))
            for p in topic.partitions.values where p.replicas.contains(nodeId) {
                let tp = TopicPartition(name, p.partitionId)
                do {
                    guard try logs.log(tp, now: now) != nil else { continue }
                    try logs.updateConfig(tp, settings)
                } catch {
                    logger.error("cannot apply the settings of \(tp): \(error)")
                }
            }
        }
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
