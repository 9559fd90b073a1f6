import KafkaProtocol

/// One partition whose registration a commit changed: "partition P of topic T now has leader L at epoch E,
/// replicas R, ISR I" (`current`), next to what it was (`previous`).
public struct PartitionChange: Hashable, Sendable {
    public var topicId: KafkaUUID
    public var topicName: String
    public var partitionId: Int32
    /// Nil when the partition is new.
    public var previous: PartitionRegistration?
    /// Nil when the partition is gone (its topic was deleted).
    public var current: PartitionRegistration?

    public init(topicId: KafkaUUID, topicName: String, partitionId: Int32, previous: PartitionRegistration?,
                current: PartitionRegistration?) {
        self.topicId = topicId
        self.topicName = topicName
        self.partitionId = partitionId
        self.previous = previous
        self.current = current
    }

    /// What the change means to broker `nodeId`, or nil when it was and stays no replica of the partition.
    public func localChange(of nodeId: Int32) -> LocalReplicaChange? {
        let was = Self.role(of: nodeId, in: previous), now = Self.role(of: nodeId, in: current)
        switch (was, now) {
        case (_, .leader): return was == .leader ? .leaderUpdated : .becameLeader
        case (_, .follower): return was == .follower ? .followerUpdated : .becameFollower
        case (.none, .none): return nil
        case (_, .none): return .noLongerReplica
        }
    }

    private enum Role { case leader, follower, none }

    private static func role(of nodeId: Int32, in p: PartitionRegistration?) -> Role {
        guard let p, p.replicas.contains(nodeId) else { return .none }
        return p.leader == nodeId ? .leader : .follower
    }
}

/// How a partition changed for one broker (Kafka's LocalReplicaChanges: leaders, followers, deletes).
public enum LocalReplicaChange: Hashable, Sendable {
    /// It leads the partition now and did not before (a new partition included): open the log, serve it.
    case becameLeader
    /// It still leads; the epoch, ISR or replicas changed.
    case leaderUpdated
    /// It is a follower now and was not (a new partition, or a lost leadership): fetch from the leader.
    case becameFollower
    /// It still follows; the leader, epoch, ISR or replicas changed.
    case followerUpdated
    /// It was a replica and is not any more: the topic was deleted or the partition reassigned away.
    case noLongerReplica
}

/// A partition change as one broker sees it.
public struct LocalPartitionChange: Hashable, Sendable {
    public var partition: PartitionChange
    public var change: LocalReplicaChange
}

extension MetadataDelta {
    /// The partition changes that concern broker `nodeId`, in the delta's order.
    public func localChanges(of nodeId: Int32) -> [LocalPartitionChange] {
        partitionChanges.compactMap { p in p.localChange(of: nodeId).map { LocalPartitionChange(partition: p, change: $0) } }
    }
}
