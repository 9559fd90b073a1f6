import KafkaProtocol

/// How a partition's leader is chosen: Kafka's `PartitionChangeBuilder.Election`.
enum LeaderElection: Sendable {
    /// The first replica when it is a valid leader, else as `online` (ElectLeaders type 0, KIP-183).
    case preferred
    /// The current leader while it is valid, else the first valid replica: an active ISR member.
    case online
    /// As `online`, then any active replica, which alone makes up the ISR afterwards and may lack committed data
    /// (ElectLeaders type 1, KIP-460; `unclean.leader.election.enable`).
    case unclean
}

extension QuorumController {
    /// The PartitionChangeRecord for `partition` when its ISR becomes `targetIsr` and a leader is elected among the
    /// brokers `isAcceptable` admits, or nil when nothing changes: Kafka 3.7's `PartitionChangeBuilder.build`
    /// without eligible leader replicas (KIP-966), reassignments or directory changes, none of which Tributary runs.
    ///
    /// An empty `targetIsr` is not written: without ELR the last member stays, so that the partition can come back
    /// with its data when that broker does. An unclean leader becomes the only ISR member and the partition is
    /// RECOVERING (KIP-704) until that leader says it has recovered through AlterPartition.
    func partitionChange(
        _ partition: PartitionRegistration, topicId: KafkaUUID, targetIsr: [Int32], election: LeaderElection,
        isAcceptable: (Int32) -> Bool
    ) -> PartitionChangeRecord? {
        let mv = image.metadataVersion
        var change = PartitionChangeRecord()
        change.topicId = topicId
        change.partitionId = partition.partitionId
        let (leader, unclean) = Self.elect(partition, targetIsr: targetIsr, election: election, isAcceptable: isAcceptable)
        if leader != partition.leader {
            change.leader = leader
            if unclean {
                change.isr = [leader]
                if partition.leaderRecoveryState != Self.leaderRecovering && mv.supportsLeaderRecovery {
                    change.leaderRecoveryState = Self.leaderRecovering
                }
            }
        } else if mv.bumpsLeaderEpochOnIsrShrink && !partition.isr.allSatisfy(targetIsr.contains) {
            // Brokers before 3.6 need a new leader epoch when the ISR shrinks (KAFKA-15021).
            change.leader = partition.leader
        }
        if change.isr == nil && !targetIsr.isEmpty && targetIsr != partition.isr { change.isr = targetIsr }
        let noChange = change.isr == nil && change.leader == PartitionRegistration.noLeaderChange
            && change.leaderRecoveryState == -1
        return noChange ? nil : change
    }

    /// The leader `election` picks, and whether it is unclean (from outside `targetIsr`); the current leader (or
    /// `noLeader`) when there is no one better. A valid leader is an acceptable member of `targetIsr`.
    static func elect(
        _ partition: PartitionRegistration, targetIsr: [Int32], election: LeaderElection, isAcceptable: (Int32) -> Bool
    ) -> (leader: Int32, unclean: Bool) {
        func valid(_ id: Int32) -> Bool { targetIsr.contains(id) && isAcceptable(id) }
        if election == .preferred, let preferred = partition.replicas.first, valid(preferred) { return (preferred, false) }
        if valid(partition.leader) { return (partition.leader, false) }
        if let clean = partition.replicas.first(where: valid) { return (clean, false) }
        if election == .unclean, let any = partition.replicas.first(where: isAcceptable) { return (any, true) }
        return (PartitionRegistration.noLeader, false)
    }

    /// Whether the controller may elect a leader from outside the ISR of `topic` on its own (a leader or the last
    /// ISR member fenced, a replica unfenced): `unclean.leader.election.enable` set on the topic, else on the
    /// cluster-wide broker default, else the controller's static default. This is Kafka 3.9's lookup (KAFKA-12670,
    /// minus the per-node dynamic config); Kafka 3.7's controller ignores the setting and elects uncleanly only when
    /// ElectLeaders asks.
    func uncleanLeaderElectionEnabled(forTopic topic: String) -> Bool {
        let key = "unclean.leader.election.enable"
        guard let value = image.topicConfigs(topic)[key] ?? image.configs[.brokerDefault]?[key] else {
            return configuration.uncleanLeaderElectionEnable
        }
        // Java's Boolean.parseBoolean: "true" in any case, anything else false.
        return value.lowercased() == "true"
    }

    /// Kafka's `isActive`, the brokers that may lead: registered, unfenced, not shutting down.
    func isActiveBroker(_ id: Int32) -> Bool { image.brokers[id]?.isActive ?? false }

    /// `leaderRecoveryState` after an unclean election (KIP-704); 0 is recovered.
    static let leaderRecovering: Int8 = 1
}
