import KafkaProtocol

/// Moves one member towards its target assignment (Kafka's `CurrentAssignmentBuilder`), the rule that keeps a
/// partition from having two owners: a member first gives up what its target no longer holds (staying at its
/// epoch, UNREVOKED_PARTITIONS), and only then moves to the target epoch, taking the target partitions nobody
/// else owns (UNRELEASED_PARTITIONS while some are still owned elsewhere, STABLE once it has them all).
enum Reconciliation {
    /// - Parameters:
    ///   - member: the member as it is now.
    ///   - targetEpoch: the epoch of the group's target assignment.
    ///   - target: the member's part of it.
    ///   - owned: the partitions the member reported owning in this heartbeat; nil when it did not report them.
    ///   - isOwnedByOther: whether another member still owns (holds or is revoking) a partition.
    static func reconcile(
        _ member: ConsumerGroupMember, targetEpoch: Int32, target: TopicPartitionSet, owned: TopicPartitionSet?,
        isOwnedByOther: (KafkaUUID, Int32) -> Bool
    ) -> ConsumerGroupMember {
        switch member.state {
        case .stable:
            // Nothing to do until a newer target exists.
            if member.memberEpoch == targetEpoch { return member }
        case .unrevokedPartitions:
            // Waits until the member says it no longer owns what it must revoke.
            if stillOwns(member.partitionsPendingRevocation, owned: owned) { return member }
        case .unreleasedPartitions:
            break  // Re-evaluated every time: partitions may have been released, or the target moved on.
        }
        return next(member, targetEpoch: targetEpoch, target: target, owned: owned, isOwnedByOther: isOwnedByOther)
    }

    private static func next(
        _ member: ConsumerGroupMember, targetEpoch: Int32, target: TopicPartitionSet, owned: TopicPartitionSet?,
        isOwnedByOther: (KafkaUUID, Int32) -> Bool
    ) -> ConsumerGroupMember {
        let current = member.assignedPartitions
        let kept = current.intersection(target)
        let revoke = current.subtracting(target)
        var assignable: TopicPartitionSet = [:]
        var unreleased = false
        for (topicId, partitions) in target.subtracting(current) {
            for p in partitions {
                if isOwnedByOther(topicId, p) { unreleased = true } else { assignable[topicId, default: []].insert(p) }
            }
        }
        var m = member
        if !revoke.isEmpty, stillOwns(revoke, owned: owned) {
            // Revocation first: the member stays at its epoch and gets nothing new yet.
            m.state = .unrevokedPartitions
            m.assignedPartitions = kept
            m.partitionsPendingRevocation = revoke
            bumpEpoch(&m, to: member.memberEpoch)
            return m
        }
        m.state = unreleased ? .unreleasedPartitions : .stable
        m.assignedPartitions = kept.union(assignable)
        m.partitionsPendingRevocation = [:]
        bumpEpoch(&m, to: targetEpoch)
        return m
    }

    /// Kafka's `updateMemberEpoch`: the previous epoch is kept for a member whose answer was lost.
    private static func bumpEpoch(_ m: inout ConsumerGroupMember, to epoch: Int32) {
        if m.memberEpoch != epoch {
            m.previousMemberEpoch = m.memberEpoch
            m.memberEpoch = epoch
        }
    }

    /// Whether the member still holds any of `partitions`; a member that did not report what it owns is
    /// assumed to hold them.
    private static func stillOwns(_ partitions: TopicPartitionSet, owned: TopicPartitionSet?) -> Bool {
        guard let owned else { return true }
        return !partitions.intersection(owned).isEmpty
    }
}
