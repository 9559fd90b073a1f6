import KafkaProtocol
import NIOCore

/// KIP-848 online downgrade: when the last consumer-protocol member of a consumer group leaves (or is fenced) and
/// classic members remain, the group becomes a classic group again (`group.consumer.migration.policy` downgrade
/// or bidirectional, the default), as in Kafka. The classic group starts at the consumer group's epoch as its
/// generation with each member's partitions as its assignment, and rebalances at once: the members learn it from
/// their next Heartbeat (REBALANCE_IN_PROGRESS), rejoin, and their leader assigns as classic groups do. Its
/// metadata record is written when that rebalance completes; the consumer group's records are tombstoned now.
extension GroupCoordinatorShard {
    /// Whether removing `leaving` from `group` (already without it) turns the group classic.
    func shouldDowngrade(_ group: ConsumerGroup, leaving: ConsumerGroupMember?) -> Bool {
        guard config.consumerMigrationDowngrade, let leaving, leaving.classic == nil, !group.members.isEmpty,
              group.members.count <= config.maxGroupSize
        else { return false }
        return group.members.values.allSatisfy { $0.classic != nil }
    }

    /// Tombstones the consumer group (its records added to the result) and puts the classic group in its place.
    mutating func downgradeToClassicGroup(_ group: ConsumerGroup) {
        var records: [ConsumerGroupRecord] = []
        let members = group.members.values.sorted { $0.memberId < $1.memberId }
        for m in members {
            records += Self.removalRecords(group.groupId, m.memberId)
            cancel(.consumerSession(group: group.groupId, member: m.memberId))
            cancel(.consumerRebalance(group: group.groupId, member: m.memberId))
        }
        records.append(.targetAssignmentMetadata(group: group.groupId, value: nil))
        records.append(.metadata(group: group.groupId, value: nil))
        out.records += records.map { CoordinatorRecord.consumerGroup($0) }

        var classic = ClassicGroup(groupId: group.groupId)
        classic.generationId = group.groupEpoch
        classic.protocolType = "consumer"
        for m in members {
            guard let c = m.classic else { continue }
            var cm = ClassicGroupMember(
                memberId: m.memberId, groupInstanceId: m.instanceId, clientId: m.clientId, clientHost: m.clientHost,
                rebalanceTimeoutMs: m.rebalanceTimeoutMs > 0 ? m.rebalanceTimeoutMs : c.sessionTimeoutMs,
                sessionTimeoutMs: c.sessionTimeoutMs, protocols: c.protocols)
            cm.assignment = consumerProtocolAssignment(m.assignedPartitions)
            classic.add(cm)
            schedule(.heartbeat(group: group.groupId, member: m.memberId), after: Int64(c.sessionTimeoutMs))
        }
        classic.protocolName = classic.selectProtocol()
        classic.leaderId = classic.members.first?.memberId
        classic.transition(to: .stable, now: now)
        prepareRebalance(&classic)
        groups[group.groupId] = classic
        consumerGroupChangedAt[group.groupId] = nil
    }
}
