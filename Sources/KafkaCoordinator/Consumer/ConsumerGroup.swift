import KafkaProtocol

/// The states of a KIP-848 consumer group, named as Kafka names them in ListGroups and ConsumerGroupDescribe.
public enum ConsumerGroupState: String, Sendable, Hashable, CaseIterable {
    case empty = "Empty"
    /// The group epoch moved past the target assignment's epoch: a new target is due.
    case assigning = "Assigning"
    /// Some member has not reached the target assignment yet.
    case reconciling = "Reconciling"
    case stable = "Stable"
    case dead = "Dead"
}

/// Where a member stands in reconciling towards its target assignment (Kafka's `MemberState`, values as stored).
public enum MemberReconciliationState: Int8, Sendable, Hashable {
    /// Owns exactly its target at the target's epoch.
    case stable = 0
    /// Must revoke partitions before it may move to the next epoch.
    case unrevokedPartitions = 1
    /// Moved to the target epoch but waits for partitions other members have not released yet.
    case unreleasedPartitions = 2
}

/// A member of a consumer group that speaks the KIP-848 protocol (ConsumerGroupHeartbeat).
public struct ConsumerGroupMember: Sendable, Hashable {
    public internal(set) var memberId: String
    /// The epoch the member is at; `-2` while a static member has left temporarily (it may come back).
    public internal(set) var memberEpoch: Int32 = 0
    /// The epoch before the last bump: a member whose answer carrying the bump was lost may retry with it.
    public internal(set) var previousMemberEpoch: Int32 = 0
    public internal(set) var state: MemberReconciliationState = .stable
    public internal(set) var instanceId: String?
    public internal(set) var rackId: String?
    public internal(set) var clientId: String = ""
    public internal(set) var clientHost: String = ""
    public internal(set) var subscribedTopicNames: [String] = []
    public internal(set) var subscribedTopicRegex: String?
    public internal(set) var rebalanceTimeoutMs: Int32 = -1
    public internal(set) var serverAssignor: String?
    /// Partitions the member owns and may consume.
    public internal(set) var assignedPartitions: TopicPartitionSet = [:]
    /// Partitions the member still owns but must give up.
    public internal(set) var partitionsPendingRevocation: TopicPartitionSet = [:]
    /// Set for a member that speaks the classic protocol (JoinGroup/SyncGroup/Heartbeat) in this consumer group,
    /// KIP-848's online migration: its session timeout and the protocols it joined with.
    public internal(set) var classic: ClassicMembership?

    public init(memberId: String) { self.memberId = memberId }

    /// The subscription fields as one value, to tell whether a heartbeat changed them.
    var subscription: [String?] { subscribedTopicNames.sorted() + ["|", subscribedTopicRegex] }
}

/// What a classic-protocol member of a consumer group joined with.
public struct ClassicMembership: Sendable, Hashable {
    public var sessionTimeoutMs: Int32
    /// Assignor names and subscription bytes, in the member's preference order.
    public var protocols: [MemberProtocol]
}

/// A KIP-848 consumer group (Kafka's `ConsumerGroup`): the group epoch bumps whenever membership or what members
/// subscribe to changes; the assignor then computes a target assignment at that epoch, and every member converges
/// on its part of the target through its heartbeats, revoking before anyone else is given what it held.
public struct ConsumerGroup: Sendable, Hashable {
    public let groupId: String
    public internal(set) var groupEpoch: Int32 = 0
    /// The epoch of `targetAssignment`.
    public internal(set) var assignmentEpoch: Int32 = 0
    /// Hash of the subscribed topics' ids and partition counts when the epoch last bumped: a change means the
    /// topics changed (created, deleted, partitions added) and the group must rebalance.
    public internal(set) var metadataHash: Int64 = 0
    public internal(set) var members: [String: ConsumerGroupMember] = [:]
    /// The target assignment of each member.
    public internal(set) var targetAssignment: [String: TopicPartitionSet] = [:]
    /// True once a ConsumerGroupMetadata record exists (the group is deleted by its tombstone).
    var hasMetadata = false
    /// Derived from the members by `apply`, so a heartbeat needs neither a pass over all partitions nor over all
    /// members: who owns each owned partition (assigned or pending revocation; Kafka's partition epochs), and how
    /// many members subscribe to each topic name and each regex.
    private(set) var partitionOwner: [TopicIdPartition: String] = [:]
    private(set) var subscribedNameCounts: [String: Int] = [:]
    private(set) var subscribedRegexCounts: [String: Int] = [:]

    public init(groupId: String) { self.groupId = groupId }

    /// The group's state as Kafka derives it.
    public var state: ConsumerGroupState {
        if members.isEmpty { return .empty }
        if groupEpoch > assignmentEpoch { return .assigning }
        for m in members.values where m.state != .stable || m.memberEpoch != assignmentEpoch { return .reconciling }
        return .stable
    }

    /// The member holding a static instance id.
    func staticMember(_ instanceId: String) -> ConsumerGroupMember? {
        members.values.first { $0.instanceId == instanceId }
    }

    /// Whether a member other than `memberId` owns a partition (holds it or is revoking it).
    func isOwnedByOther(_ topicId: KafkaUUID, _ partition: Int32, than memberId: String) -> Bool {
        partitionOwner[TopicIdPartition(topicId, partition)].map { $0 != memberId } ?? false
    }

    /// Keeps `partitionOwner` in step when a member's owned partitions change.
    mutating func updateOwnership(of memberId: String, from old: ConsumerGroupMember?, to new: ConsumerGroupMember?) {
        if let old {
            for set in [old.assignedPartitions, old.partitionsPendingRevocation] {
                for (t, ps) in set {
                    for p in ps where partitionOwner[TopicIdPartition(t, p)] == memberId { partitionOwner[TopicIdPartition(t, p)] = nil }
                }
            }
        }
        if let new {
            for set in [new.assignedPartitions, new.partitionsPendingRevocation] {
                for (t, ps) in set { for p in ps { partitionOwner[TopicIdPartition(t, p)] = memberId } }
            }
        }
    }

    /// Keeps the subscription counts in step when a member's subscription changes.
    mutating func updateSubscriptionCounts(from old: ConsumerGroupMember?, to new: ConsumerGroupMember?) {
        func count(_ m: ConsumerGroupMember, _ delta: Int) {
            for name in Set(m.subscribedTopicNames) {
                let n = subscribedNameCounts[name, default: 0] + delta
                subscribedNameCounts[name] = n > 0 ? n : nil
            }
            if let regex = m.subscribedTopicRegex {
                let n = subscribedRegexCounts[regex, default: 0] + delta
                subscribedRegexCounts[regex] = n > 0 ? n : nil
            }
        }
        if let old { count(old, -1) }
        if let new { count(new, 1) }
    }
}

/// A partition named by topic id.
public struct TopicIdPartition: Sendable, Hashable {
    public var topicId: KafkaUUID
    public var partition: Int32
    public init(_ topicId: KafkaUUID, _ partition: Int32) {
        self.topicId = topicId
        self.partition = partition
    }
}

extension Dictionary where Key == KafkaUUID, Value == Set<Int32> {
    /// Partitions in `self` and not in `other`.
    func subtracting(_ other: TopicPartitionSet) -> TopicPartitionSet {
        var out: TopicPartitionSet = [:]
        for (t, ps) in self {
            let rest = ps.subtracting(other[t] ?? [])
            if !rest.isEmpty { out[t] = rest }
        }
        return out
    }

    /// Partitions in both.
    func intersection(_ other: TopicPartitionSet) -> TopicPartitionSet {
        var out: TopicPartitionSet = [:]
        for (t, ps) in self {
            let both = ps.intersection(other[t] ?? [])
            if !both.isEmpty { out[t] = both }
        }
        return out
    }

    /// Both sets together.
    func union(_ other: TopicPartitionSet) -> TopicPartitionSet {
        var out = self
        for (t, ps) in other where !ps.isEmpty { out[t, default: []].formUnion(ps) }
        return out
    }

    /// The set without empty topic entries (so equal assignments compare equal).
    var normalized: TopicPartitionSet { filter { !$0.value.isEmpty } }
}
