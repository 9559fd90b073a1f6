import KafkaProtocol

/// `auto.leader.rebalance.enable`: Kafka's KRaft controller (`maybeBalancePartitionLeaders`) notices partitions
/// whose leader is not their preferred replica (the first of the assignment), waits
/// `leader.imbalance.check.interval.seconds`, then runs a preferred election on up to 1,000 of them at a time; a
/// partition whose preferred replica is not an active ISR member keeps its leader. Without this, a broker that
/// restarts after a failover never gets its leaderships back. (`leader.imbalance.per.broker.percentage` is a
/// ZooKeeper-mode setting the KRaft controller does not read.)
extension QuorumController {
    /// Kafka's `maxElectionsPerImbalance`.
    static let maxElectionsPerBalance = 1_000

    /// Whether any partition is led by another replica than its preferred one.
    var arePartitionLeadersImbalanced: Bool {
        image.topicsByName.contains { topic in
            topic.partitions.values.contains { $0.leader != ($0.replicas.first ?? PartitionRegistration.noLeader) }
        }
    }

    /// The clock's part: the preferred elections that are due at `now`, as records (empty when none are), and
    /// the next due time.
    public mutating func balanceLeadersIfDue(now: Int64) -> [MetadataRecord] {
        guard configuration.autoLeaderRebalanceEnable, arePartitionLeadersImbalanced else {
            leaderBalanceDueMs = nil
            return []
        }
        guard let due = leaderBalanceDueMs else {
            leaderBalanceDueMs = now + configuration.leaderImbalanceCheckIntervalMs
            return []
        }
        guard now >= due else { return [] }
        var records: [MetadataRecord] = []
        var more = false
        for topic in image.topicsByName {
            for partition in topic.sortedPartitions where partition.leader != (partition.replicas.first ?? PartitionRegistration.noLeader) {
                guard records.count < Self.maxElectionsPerBalance else {
                    more = true
                    break
                }
                guard let change = partitionChange(partition, topicId: topic.id, targetIsr: partition.isr,
                                                   election: .preferred, isAcceptable: isActiveBroker),
                      change.leader == partition.replicas.first else { continue }
                records.append(.partitionChange(change, version: image.metadataVersion.partitionChangeRecordVersion))
            }
        }
        // More than one round's worth: the rest at the next tick; otherwise wait a full interval again.
        leaderBalanceDueMs = more ? now : now + configuration.leaderImbalanceCheckIntervalMs
        return records
    }
}
