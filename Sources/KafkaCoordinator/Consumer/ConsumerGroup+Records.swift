import KafkaProtocol

/// Consumer group state from and to its records. `apply` is the only way a group changes: the shard replays
/// every record through it, and a heartbeat computes its answer on a copy it applies its own records to.
extension ConsumerGroup {
    /// Applies one record of this group. Returns false when the record deletes the group.
    mutating func apply(_ record: ConsumerGroupRecord) -> Bool {
        switch record {
        case .metadata(_, let value):
            guard let value else { return false }
            groupEpoch = value.epoch
            metadataHash = value.metadataHash
            hasMetadata = true
        case .partitionMetadata:
            break  // Kafka < 4.1 subscription metadata: recomputed from the metadata image instead.
        case .memberMetadata(_, let memberId, let value):
            let old = members[memberId]
            guard let value else {
                updateOwnership(of: memberId, from: old, to: nil)
                updateSubscriptionCounts(from: old, to: nil)
                members[memberId] = nil
                return true
            }
            var m = old ?? ConsumerGroupMember(memberId: memberId)
            m.instanceId = value.instanceId
            m.rackId = value.rackId
            m.clientId = value.clientId
            m.clientHost = value.clientHost
            m.subscribedTopicNames = value.subscribedTopicNames
            m.subscribedTopicRegex = value.subscribedTopicRegex
            m.rebalanceTimeoutMs = value.rebalanceTimeoutMs
            m.serverAssignor = value.serverAssignor
            // The generated default (an empty struct) stands for "absent": a consumer-protocol member.
            if let c = value.classicMemberMetadata, c != .init() {
                m.classic = ClassicMembership(sessionTimeoutMs: c.sessionTimeoutMs,
                                              protocols: c.supportedProtocols.map { MemberProtocol(name: $0.name, metadata: $0.metadata) })
            } else {
                m.classic = nil
            }
            updateSubscriptionCounts(from: old, to: m)
            members[memberId] = m
        case .targetAssignmentMetadata(_, let value):
            assignmentEpoch = value?.assignmentEpoch ?? 0
        case .targetAssignmentMember(_, let memberId, let value):
            if let value {
                targetAssignment[memberId] = Self.partitions(value.topicPartitions.map { ($0.topicId, $0.partitions) })
            } else {
                targetAssignment[memberId] = nil
            }
        case .currentAssignment(_, let memberId, let value):
            let old = members[memberId]
            var m = old ?? ConsumerGroupMember(memberId: memberId)
            if let value {
                m.memberEpoch = value.memberEpoch
                m.previousMemberEpoch = value.previousMemberEpoch
                m.state = MemberReconciliationState(rawValue: value.state) ?? .stable
                m.assignedPartitions = Self.partitions(value.assignedPartitions.map { ($0.topicId, $0.partitions) })
                m.partitionsPendingRevocation = Self.partitions(value.partitionsPendingRevocation.map { ($0.topicId, $0.partitions) })
            } else {
                m.memberEpoch = 0
                m.previousMemberEpoch = 0
                m.state = .stable
                m.assignedPartitions = [:]
                m.partitionsPendingRevocation = [:]
            }
            updateOwnership(of: memberId, from: old, to: m)
            members[memberId] = m
        }
        return true
    }

    private static func partitions(_ list: [(KafkaUUID, [Int32])]) -> TopicPartitionSet {
        var out: TopicPartitionSet = [:]
        for (t, ps) in list where !ps.isEmpty { out[t, default: []].formUnion(ps) }
        return out
    }

    // MARK: - Record builders

    static func epochRecord(_ groupId: String, epoch: Int32, metadataHash: Int64) -> ConsumerGroupRecord {
        var v = ConsumerGroupMetadataValue()
        v.epoch = epoch
        v.metadataHash = metadataHash
        return .metadata(group: groupId, value: v)
    }

    static func memberRecord(_ groupId: String, _ m: ConsumerGroupMember) -> ConsumerGroupRecord {
        var v = ConsumerGroupMemberMetadataValue()
        v.instanceId = m.instanceId
        v.rackId = m.rackId
        v.clientId = m.clientId
        v.clientHost = m.clientHost
        v.subscribedTopicNames = m.subscribedTopicNames
        v.subscribedTopicRegex = m.subscribedTopicRegex
        v.rebalanceTimeoutMs = m.rebalanceTimeoutMs
        v.serverAssignor = m.serverAssignor
        // A consumer-protocol member leaves the field at its default, so the tag is omitted as Kafka omits it.
        if let c = m.classic {
            var cm = ConsumerGroupMemberMetadataValue.ClassicMemberMetadata()
            cm.sessionTimeoutMs = c.sessionTimeoutMs
            cm.supportedProtocols = c.protocols.map { p in
                var cp = ConsumerGroupMemberMetadataValue.ClassicProtocol()
                cp.name = p.name
                cp.metadata = p.metadata
                return cp
            }
            v.classicMemberMetadata = cm
        }
        return .memberMetadata(group: groupId, member: m.memberId, value: v)
    }

    static func currentAssignmentRecord(_ groupId: String, _ m: ConsumerGroupMember) -> ConsumerGroupRecord {
        func list(_ set: TopicPartitionSet) -> [ConsumerGroupCurrentMemberAssignmentValue.TopicPartitions] {
            sortedTopics(set).map { t, ps in
                var tp = ConsumerGroupCurrentMemberAssignmentValue.TopicPartitions()
                tp.topicId = t
                tp.partitions = ps
                // Left at the generated default so the tag is omitted, as Kafka writes it.
                return tp
            }
        }
        var v = ConsumerGroupCurrentMemberAssignmentValue()
        v.memberEpoch = m.memberEpoch
        v.previousMemberEpoch = m.previousMemberEpoch
        v.state = m.state.rawValue
        v.assignedPartitions = list(m.assignedPartitions)
        v.partitionsPendingRevocation = list(m.partitionsPendingRevocation)
        return .currentAssignment(group: groupId, member: m.memberId, value: v)
    }

    static func targetMemberRecord(_ groupId: String, _ memberId: String, _ set: TopicPartitionSet) -> ConsumerGroupRecord {
        var v = ConsumerGroupTargetAssignmentMemberValue()
        v.topicPartitions = sortedTopics(set).map { t, ps in
            var tp = ConsumerGroupTargetAssignmentMemberValue.TopicPartition()
            tp.topicId = t
            tp.partitions = ps
            return tp
        }
        return .targetAssignmentMember(group: groupId, member: memberId, value: v)
    }

    static func targetEpochRecord(_ groupId: String, epoch: Int32, now: Int64) -> ConsumerGroupRecord {
        var v = ConsumerGroupTargetAssignmentMetadataValue()
        v.assignmentEpoch = epoch
        v.assignmentTimestamp = now
        return .targetAssignmentMetadata(group: groupId, value: v)
    }

    /// Topics ordered by id and their partitions ascending, so equal sets encode to equal bytes.
    static func sortedTopics(_ set: TopicPartitionSet) -> [(KafkaUUID, [Int32])] {
        set.filter { !$0.value.isEmpty }
            .map { ($0.key, $0.value.sorted()) }
            .sorted { ($0.0.mostSignificantBits, $0.0.leastSignificantBits) < ($1.0.mostSignificantBits, $1.0.leastSignificantBits) }
    }
}
