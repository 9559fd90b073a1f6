import KafkaProtocol
import NIOCore

/// KIP-848 online upgrade: the first consumer-protocol member to join a non-empty classic group turns it into a
/// consumer group (`group.consumer.migration.policy` upgrade or bidirectional). Allowed, as in Kafka, only for a
/// Stable group of the consumer protocol type whose members' subscriptions and assignments parse, and that is
/// not larger than `group.consumer.max.size`. Every classic member carries on as a classic member of the
/// consumer group at the group's generation as its epoch, keeping its partitions (they become its current and
/// target assignment), so nothing moves until the new member's join bumps the epoch.
extension GroupCoordinatorShard {
    /// The converted group (its records added to the result), or nil when the group cannot be upgraded.
    mutating func upgradeToConsumerGroup(_ classic: ClassicGroup) -> ConsumerGroup? {
        guard config.consumerMigrationUpgrade, classic.protocolType == "consumer", classic.state == .stable,
              classic.members.count < config.consumerMaxGroupSize, let protocolName = classic.protocolName
        else { return nil }
        let epoch = classic.generationId
        var members: [ConsumerGroupMember] = []
        for cm in classic.members {
            var subscriptionBytes = cm.metadata(for: protocolName)
            var assignmentBytes = cm.assignment
            guard let sv: Int16 = subscriptionBytes.readInteger(endianness: .big), sv >= 0,
                  let subscription = try? ConsumerProtocolSubscription(
                      from: &subscriptionBytes, version: min(sv, ConsumerProtocolSubscription.validVersions.upperBound))
            else { return nil }
            var assigned: TopicPartitionSet = [:]
            if assignmentBytes.readableBytes > 0 {
                guard let av: Int16 = assignmentBytes.readInteger(endianness: .big), av >= 0,
                      let assignment = try? ConsumerProtocolAssignment(
                          from: &assignmentBytes, version: min(av, ConsumerProtocolAssignment.validVersions.upperBound))
                else { return nil }
                for tp in assignment.assignedPartitions {
                    guard let id = topicIdsByName[tp.topic], !tp.partitions.isEmpty else { continue }
                    assigned[id, default: []].formUnion(tp.partitions)
                }
            }
            var m = ConsumerGroupMember(memberId: cm.memberId)
            m.instanceId = cm.groupInstanceId
            m.rackId = subscription.rackId
            m.clientId = cm.clientId
            m.clientHost = cm.clientHost
            m.subscribedTopicNames = subscription.topics
            m.rebalanceTimeoutMs = cm.rebalanceTimeoutMs
            m.classic = ClassicMembership(sessionTimeoutMs: cm.sessionTimeoutMs, protocols: cm.protocols)
            m.memberEpoch = epoch
            m.previousMemberEpoch = epoch
            m.assignedPartitions = assigned
            members.append(m)
        }

        var group = ConsumerGroup(groupId: classic.groupId)
        var records: [ConsumerGroupRecord] = []
        func emit(_ r: ConsumerGroupRecord) {
            records.append(r)
            _ = group.apply(r)
        }
        for m in members {
            emit(ConsumerGroup.memberRecord(group.groupId, m))
            emit(ConsumerGroup.targetMemberRecord(group.groupId, m.memberId, m.assignedPartitions))
            emit(ConsumerGroup.currentAssignmentRecord(group.groupId, m))
        }
        emit(ConsumerGroup.targetEpochRecord(group.groupId, epoch: epoch, now: now))
        emit(ConsumerGroup.epochRecord(group.groupId, epoch: epoch, metadataHash: subscriptionHash(group)))

        // The classic group's timers end with it; each member's session is now the consumer group's.
        for m in classic.members { cancel(.heartbeat(group: classic.groupId, member: m.memberId)) }
        cancel(.join(group: classic.groupId))
        cancel(.sync(group: classic.groupId))
        for m in classic.members {
            schedule(.consumerSession(group: classic.groupId, member: m.memberId), after: Int64(m.sessionTimeoutMs))
        }
        out.records.append(.groupTombstone(group: classic.groupId))
        out.records += records.map { CoordinatorRecord.consumerGroup($0) }
        consumerGroupChangedAt[classic.groupId] = now
        return group
    }
}
