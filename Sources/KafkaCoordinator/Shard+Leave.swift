import KafkaProtocol

/// LeaveGroup: one member before v3, a batch of members (with KIP-345 instance ids) from v3.
extension GroupCoordinatorShard {
    mutating func leaveGroup(_ ctx: RequestContext, _ req: LeaveGroupRequest) {
        var identities = req.members
        if ctx.apiVersion < 3 {
            var one = LeaveGroupRequest.MemberIdentity()
            one.memberId = req.memberId
            identities = [one]
        }
        func topLevel(_ e: KafkaError) {
            var r = LeaveGroupResponse()
            r.errorCode = e.rawValue
            reply(ctx, .leaveGroup(r))
        }
        if let consumerGroup = consumerGroups[req.groupId] { return classicLeaveFromConsumerGroup(ctx, req, consumerGroup) }
        guard var group = groups[req.groupId] else { return topLevel(.unknownMemberId) }
        if group.state == .dead { return topLevel(.coordinatorNotAvailable) }

        var results: [LeaveGroupResponse.MemberResponse] = []
        var changed = false
        var removedPending = false
        for identity in identities {
            var error = KafkaError.none
            if let instanceId = identity.groupInstanceId {
                // KIP-345: a static member may be removed by instance id alone (an admin removing it).
                if let existing = group.staticMemberId(instanceId) {
                    if identity.memberId.isEmpty || identity.memberId == existing {
                        removeMember(&group, existing)
                        changed = true
                    } else {
                        error = .fencedInstanceId
                    }
                } else {
                    error = .unknownMemberId
                }
            } else if group.pendingJoinMembers.contains(identity.memberId) {
                group.pendingJoinMembers.remove(identity.memberId)
                cancel(.heartbeat(group: group.groupId, member: identity.memberId))
                removedPending = true
            } else if group.hasMember(identity.memberId) {
                removeMember(&group, identity.memberId)
                changed = true
            } else {
                error = .unknownMemberId
            }
            var mr = LeaveGroupResponse.MemberResponse()
            mr.memberId = identity.memberId
            mr.groupInstanceId = identity.groupInstanceId
            mr.errorCode = error.rawValue
            results.append(mr)
        }
        if changed {
            maybePrepareRebalanceOrCompleteJoin(&group)
        } else if removedPending {
            maybeCompleteJoinPhase(&group)
        }
        groups[req.groupId] = group

        var r = LeaveGroupResponse()
        if ctx.apiVersion >= 3 {
            r.members = results
        } else {
            r.errorCode = results.first?.errorCode ?? 0
        }
        reply(ctx, .leaveGroup(r))
    }

    /// Drops a member without rebalancing yet; its held requests get UNKNOWN_MEMBER_ID.
    private mutating func removeMember(_ group: inout ClassicGroup, _ memberId: String) {
        guard let removed = group.remove(memberId) else { return }
        if let held = removed.heldJoin { reply(held, .joinGroup(joinErrorResponse(held.apiVersion, memberId, .unknownMemberId))) }
        if let held = removed.heldSync { reply(held, .syncGroup(syncErrorResponse(.unknownMemberId))) }
        cancel(.heartbeat(group: group.groupId, member: memberId))
    }
}
