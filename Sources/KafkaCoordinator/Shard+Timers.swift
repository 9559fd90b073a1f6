/// Timer expiries: sessions, the join phase, the sync deadline and the offset sweep.
extension GroupCoordinatorShard {
    mutating func timerFired(_ key: TimerKey) {
        // Ignore timers that were cancelled, replaced by a later deadline, or fired early.
        guard let deadline = timerDeadlines[key], deadline <= now else { return }
        timerDeadlines[key] = nil
        switch key {
        case .heartbeat(let groupId, let memberId):
            guard var group = groups[groupId] else { return }
            if group.pendingJoinMembers.remove(memberId) != nil {
                // KIP-394: the id handed out by MEMBER_ID_REQUIRED was never used.
                if group.state == .preparingRebalance { maybeCompleteJoinPhase(&group) }
            } else if let member = group.member(memberId), !member.hasSatisfiedHeartbeat {
                removeMemberAndUpdate(&group, memberId)
            }
            store(group)
        case .join(let groupId):
            guard var group = groups[groupId], group.state == .preparingRebalance else { return }
            if let (delay, remaining) = group.initialDelay, group.newMemberAdded, remaining != 0 {
                // Members still arriving: wait another delay, never beyond the rebalance timeout.
                group.newMemberAdded = false
                let next = min(config.initialRebalanceDelayMs, remaining)
                group.initialDelay = (next, max(remaining - delay, 0))
                schedule(.join(group: groupId), after: next)
            } else {
                completeJoin(&group)
            }
            store(group)
        case .sync(let groupId):
            guard var group = groups[groupId], group.state == .completingRebalance || group.state == .stable,
                !group.pendingSyncMembers.isEmpty
            else { return }
            // Members that got a JoinGroup answer but never synced are gone; the rest rebalance without them.
            for memberId in group.pendingSyncMembers.sorted() {
                if let removed = group.remove(memberId), let held = removed.heldSync {
                    reply(held, .syncGroup(syncErrorResponse(.unknownMemberId)))
                }
                cancel(.heartbeat(group: groupId, member: memberId))
            }
            prepareRebalance(&group)
            store(group)
        case .consumerSession(let groupId, let memberId):
            fenceConsumerMember(groupId, memberId)
        case .consumerRebalance(let groupId, let memberId):
            // Only a member still holding partitions it was told to revoke is fenced.
            if consumerGroups[groupId]?.members[memberId]?.state == .unrevokedPartitions {
                fenceConsumerMember(groupId, memberId)
            }
        case .offsetExpiration:
            expireOffsets()
        }
    }

    private mutating func store(_ group: ClassicGroup) { groups[group.groupId] = group }
}
