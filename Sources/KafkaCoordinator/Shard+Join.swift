import KafkaProtocol
import NIOCore

/// JoinGroup and the join phase of a rebalance (Kafka's `classicGroupJoin` and its helpers).
extension GroupCoordinatorShard {
    mutating func joinGroup(_ ctx: RequestContext, _ req: JoinGroupRequest) {
        let protocols = req.protocols.map { MemberProtocol(name: $0.name, metadata: $0.metadata) }
        guard !req.groupId.isEmpty else { return joinFailed(ctx, req.memberId, .invalidGroupId) }
        guard req.sessionTimeoutMs >= config.minSessionTimeoutMs, req.sessionTimeoutMs <= config.maxSessionTimeoutMs else {
            return joinFailed(ctx, req.memberId, .invalidSessionTimeout)
        }
        if let consumerGroup = consumerGroups[req.groupId] {
            // A classic member joins a KIP-848 group that has members as a classic member of it (online
            // migration); an empty one is deleted so the id names a classic group again.
            guard consumerGroup.members.isEmpty else { return classicJoinToConsumerGroup(ctx, req, consumerGroup) }
            out.records.append(.consumerGroup(.targetAssignmentMetadata(group: req.groupId, value: nil)))
            out.records.append(.consumerGroup(.metadata(group: req.groupId, value: nil)))
        }
        let isUnknownMember = req.memberId.isEmpty
        var isNewGroup = false
        if groups[req.groupId] == nil {
            // A group is created only by a member without an id; a known id for a missing group is stale.
            guard isUnknownMember else { return joinFailed(ctx, req.memberId, .unknownMemberId) }
            groups[req.groupId] = ClassicGroup(groupId: req.groupId)
            isNewGroup = true
        }
        var group = groups[req.groupId]!
        if !acceptJoiningMember(group, req.memberId) {
            // KIP-389: the group is full.
            if group.hasMember(req.memberId) { removeMemberAndUpdate(&group, req.memberId) }
            joinFailed(ctx, req.memberId, .groupMaxSizeReached)
        } else if isUnknownMember {
            joinNewMember(ctx, req, protocols, &group)
        } else {
            joinExistingMember(ctx, req, protocols, &group)
        }
        if isNewGroup, group.members.isEmpty, group.pendingJoinMembers.isEmpty, offsets[group.groupId] == nil {
            groups[req.groupId] = nil
        } else {
            groups[req.groupId] = group
        }
    }

    /// Kafka's `acceptJoiningMember`: whether there is room for this member under `group.max.size`.
    private func acceptJoiningMember(_ group: ClassicGroup, _ memberId: String) -> Bool {
        switch group.state {
        case .empty, .dead:
            return true
        case .preparingRebalance:
            return (group.member(memberId)?.isAwaitingJoin ?? false) || group.numAwaitingJoin < config.maxGroupSize
        case .completingRebalance, .stable:
            return group.hasMember(memberId) || group.members.count < config.maxGroupSize
        }
    }

    private mutating func joinNewMember(_ ctx: RequestContext, _ req: JoinGroupRequest, _ protocols: [MemberProtocol], _ group: inout ClassicGroup) {
        if group.state == .dead { return joinFailed(ctx, req.memberId, .coordinatorNotAvailable) }
        if !group.supportsProtocols(type: req.protocolType, protocols: protocols) {
            return joinFailed(ctx, req.memberId, .inconsistentGroupProtocol)
        }
        let newMemberId = memberIds.next(clientId: ctx.clientId)
        if let instanceId = req.groupInstanceId {
            if let oldMemberId = group.staticMemberId(instanceId) {
                updateStaticMember(ctx, req, protocols, &group, oldMemberId: oldMemberId, newMemberId: newMemberId)
            } else {
                addMemberThenRebalance(ctx, req, protocols, &group, memberId: newMemberId)
            }
        } else if ctx.apiVersion >= 4 {
            // KIP-394: hand out the id first, so a client that times out and retries does not leave a ghost member
            // behind; the id must come back within the session timeout.
            group.pendingJoinMembers.insert(newMemberId)
            schedule(.heartbeat(group: group.groupId, member: newMemberId), after: Int64(req.sessionTimeoutMs))
            joinFailed(ctx, newMemberId, .memberIdRequired)
        } else {
            addMemberThenRebalance(ctx, req, protocols, &group, memberId: newMemberId)
        }
    }

    private mutating func joinExistingMember(_ ctx: RequestContext, _ req: JoinGroupRequest, _ protocols: [MemberProtocol], _ group: inout ClassicGroup) {
        if group.state == .dead { return joinFailed(ctx, req.memberId, .coordinatorNotAvailable) }
        if !group.supportsProtocols(type: req.protocolType, protocols: protocols) {
            return joinFailed(ctx, req.memberId, .inconsistentGroupProtocol)
        }
        if group.pendingJoinMembers.contains(req.memberId) {
            guard req.groupInstanceId == nil else { return joinFailed(ctx, req.memberId, .unknownMemberId) }
            group.pendingJoinMembers.remove(req.memberId)
            return addMemberThenRebalance(ctx, req, protocols, &group, memberId: req.memberId)
        }
        if let error = validateMember(group, req.memberId, req.groupInstanceId) {
            return joinFailed(ctx, req.memberId, error)
        }
        let member = group.member(req.memberId)!
        switch group.state {
        case .preparingRebalance:
            updateMemberThenRebalance(ctx, req, protocols, &group)
        case .completingRebalance:
            if member.protocols == protocols {
                // The member missed its JoinGroup answer: give the current generation again.
                reply(ctx, .joinGroup(joinResponse(ctx.apiVersion, group, req.memberId, includeMembers: group.isLeader(req.memberId))))
            } else {
                updateMemberThenRebalance(ctx, req, protocols, &group)
            }
        case .stable:
            if group.isLeader(req.memberId) || member.protocols != protocols {
                // A leader rejoining wants a new assignment; changed metadata needs one.
                updateMemberThenRebalance(ctx, req, protocols, &group)
            } else {
                reply(ctx, .joinGroup(joinResponse(ctx.apiVersion, group, req.memberId, includeMembers: false)))
            }
        case .empty, .dead:
            joinFailed(ctx, req.memberId, .unknownMemberId)
        }
    }

    private mutating func addMemberThenRebalance(
        _ ctx: RequestContext, _ req: JoinGroupRequest, _ protocols: [MemberProtocol], _ group: inout ClassicGroup, memberId: String
    ) {
        var member = ClassicGroupMember(
            memberId: memberId, groupInstanceId: req.groupInstanceId, clientId: ctx.clientId, clientHost: ctx.clientHost,
            rebalanceTimeoutMs: ctx.apiVersion == 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs,
            sessionTimeoutMs: req.sessionTimeoutMs, protocols: protocols)
        member.heldJoin = HeldRequest(requestId: ctx.requestId, apiVersion: ctx.apiVersion)
        member.isNew = true
        if group.members.isEmpty { group.protocolType = req.protocolType }
        group.add(member)
        // Lets the initial delay extend itself while members keep coming.
        if group.state == .preparingRebalance, group.previousState == .empty { group.newMemberAdded = true }
        // A new member that disconnects while waiting must not hold the rebalance for its whole session.
        schedule(.heartbeat(group: group.groupId, member: memberId), after: config.newMemberJoinTimeoutMs)
        maybePrepareRebalanceOrCompleteJoin(&group)
    }

    private mutating func updateMemberThenRebalance(
        _ ctx: RequestContext, _ req: JoinGroupRequest, _ protocols: [MemberProtocol], _ group: inout ClassicGroup,
        memberId: String? = nil
    ) {
        let id = memberId ?? req.memberId
        var superseded: HeldRequest?
        group.update(id) { m in
            superseded = m.heldJoin
            m.protocols = protocols
            m.rebalanceTimeoutMs = ctx.apiVersion == 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs
            m.sessionTimeoutMs = req.sessionTimeoutMs
            m.heldJoin = HeldRequest(requestId: ctx.requestId, apiVersion: ctx.apiVersion)
        }
        // Kafka drops a superseded JoinGroup unanswered; we answer it so the driver never holds it forever.
        if let superseded { reply(superseded, .joinGroup(joinErrorResponse(superseded.apiVersion, id, .rebalanceInProgress))) }
        maybePrepareRebalanceOrCompleteJoin(&group)
    }

    /// KIP-345: a static member came back with a new member id. The old id is fenced; when the group is Stable
    /// and the member's protocols are unchanged it keeps its assignment and no rebalance happens.
    private mutating func updateStaticMember(
        _ ctx: RequestContext, _ req: JoinGroupRequest, _ protocols: [MemberProtocol], _ group: inout ClassicGroup,
        oldMemberId: String, newMemberId: String
    ) {
        let old = group.member(oldMemberId)!
        if let held = old.heldJoin { reply(held, .joinGroup(joinErrorResponse(held.apiVersion, oldMemberId, .fencedInstanceId))) }
        if let held = old.heldSync { reply(held, .syncGroup(syncErrorResponse(.fencedInstanceId))) }
        group.update(oldMemberId) { m in
            m.memberId = newMemberId
            m.heldJoin = nil
            m.heldSync = nil
            m.clientId = ctx.clientId
            m.clientHost = ctx.clientHost
        }
        if group.leaderId == oldMemberId { group.leaderId = newMemberId }
        if group.pendingSyncMembers.remove(oldMemberId) != nil { group.pendingSyncMembers.insert(newMemberId) }
        cancel(.heartbeat(group: group.groupId, member: oldMemberId))
        schedule(.heartbeat(group: group.groupId, member: newMemberId), after: Int64(req.sessionTimeoutMs))
        let isLeader = group.isLeader(newMemberId)
        let skipAssignment = isLeader && ctx.apiVersion >= 9
        if group.state == .stable, old.protocols == protocols, !isLeader || skipAssignment {
            group.update(newMemberId) { m in
                m.rebalanceTimeoutMs = req.rebalanceTimeoutMs
                m.sessionTimeoutMs = req.sessionTimeoutMs
            }
            // Persist the replaced member id; the member keeps its assignment.
            out.records.append(.groupMetadata(group: group.groupId, value: groupMetadataValue(group)))
            var response = joinResponse(ctx.apiVersion, group, newMemberId, includeMembers: skipAssignment)
            response.skipAssignment = skipAssignment
            reply(ctx, .joinGroup(response))
        } else {
            // Before v9 a leader cannot be told to keep its assignment, so it leads a new rebalance.
            updateMemberThenRebalance(ctx, req, protocols, &group, memberId: newMemberId)
        }
    }

    // MARK: - Rebalance

    mutating func maybePrepareRebalanceOrCompleteJoin(_ group: inout ClassicGroup) {
        if group.canRebalance { prepareRebalance(&group) } else { maybeCompleteJoinPhase(&group) }
    }

    mutating func prepareRebalance(_ group: inout ClassicGroup) {
        if group.state == .completingRebalance {
            // The assignment being agreed is void: tell members waiting in SyncGroup to rejoin.
            for i in group.members.indices {
                if let held = group.members[i].heldSync { reply(held, .syncGroup(syncErrorResponse(.rebalanceInProgress))) }
                group.members[i].heldSync = nil
                group.members[i].assignment = ByteBuffer()
            }
        }
        cancel(.sync(group: group.groupId))
        group.pendingSyncMembers = []
        let isInitialRebalance = group.state == .empty
        if isInitialRebalance {
            // group.initial.rebalance.delay.ms: a new group waits for more members before its first generation.
            let delay = config.initialRebalanceDelayMs
            group.initialDelay = (delay, max(group.rebalanceTimeoutMs - delay, 0))
            group.newMemberAdded = false
            schedule(.join(group: group.groupId), after: delay)
        }
        group.transition(to: .preparingRebalance, now: now)
        if !isInitialRebalance {
            group.initialDelay = nil
            schedule(.join(group: group.groupId), after: group.rebalanceTimeoutMs)
            maybeCompleteJoinPhase(&group)
        }
    }

    mutating func maybeCompleteJoinPhase(_ group: inout ClassicGroup) {
        if group.state == .preparingRebalance, group.hasAllMembersJoined, group.previousState != .empty {
            completeJoin(&group)
        }
    }

    /// Ends the join phase: members that did not rejoin are dropped (static ones are kept, KIP-345), the
    /// generation advances and every waiting member gets its JoinGroup answer (the leader with all members).
    mutating func completeJoin(_ group: inout ClassicGroup) {
        cancel(.join(group: group.groupId))
        group.initialDelay = nil
        guard group.state == .preparingRebalance else { return }
        if let leader = group.leaderId, group.member(leader)?.isAwaitingJoin != true,
            let joined = group.members.first(where: \.isAwaitingJoin)
        {
            group.leaderId = joined.memberId
        }
        for member in group.members where !member.isAwaitingJoin && member.groupInstanceId == nil {
            group.remove(member.memberId)
            cancel(.heartbeat(group: group.groupId, member: member.memberId))
        }
        group.generationId += 1
        if group.members.isEmpty {
            group.protocolName = nil
            group.leaderId = nil
            group.transition(to: .empty, now: now)
            out.records.append(.groupMetadata(group: group.groupId, value: groupMetadataValue(group)))
            return
        }
        group.protocolName = group.selectProtocol()
        group.transition(to: .completingRebalance, now: now)
        for i in group.members.indices {
            let member = group.members[i]
            if let held = member.heldJoin {
                reply(held, .joinGroup(joinResponse(held.apiVersion, group, member.memberId, includeMembers: group.isLeader(member.memberId))))
            }
            group.members[i].heldJoin = nil
            group.members[i].isNew = false
            schedule(.heartbeat(group: group.groupId, member: member.memberId), after: Int64(member.sessionTimeoutMs))
        }
        // Every member must now SyncGroup within the rebalance timeout.
        group.pendingSyncMembers = Set(group.members.map(\.memberId))
        schedule(.sync(group: group.groupId), after: group.rebalanceTimeoutMs)
    }

    /// Removes a member that left or expired and rebalances what remains (Kafka's `removeMemberAndUpdateClassicGroup`).
    mutating func removeMemberAndUpdate(_ group: inout ClassicGroup, _ memberId: String) {
        guard let removed = group.remove(memberId) else { return }
        if let held = removed.heldJoin { reply(held, .joinGroup(joinErrorResponse(held.apiVersion, memberId, .unknownMemberId))) }
        if let held = removed.heldSync { reply(held, .syncGroup(syncErrorResponse(.unknownMemberId))) }
        cancel(.heartbeat(group: group.groupId, member: memberId))
        switch group.state {
        case .stable, .completingRebalance: maybePrepareRebalanceOrCompleteJoin(&group)
        case .preparingRebalance: maybeCompleteJoinPhase(&group)
        case .empty, .dead: break
        }
    }

    // MARK: - Shared checks and bodies

    /// UNKNOWN_MEMBER_ID / FENCED_INSTANCE_ID check of requests from a group's member (Kafka's `validateMember`).
    func validateMember(_ group: ClassicGroup, _ memberId: String, _ instanceId: String?) -> KafkaError? {
        if let instanceId {
            guard let existing = group.staticMemberId(instanceId) else { return .unknownMemberId }
            return existing == memberId ? nil : .fencedInstanceId
        }
        return group.hasMember(memberId) ? nil : .unknownMemberId
    }

    func joinResponse(_ version: Int16, _ group: ClassicGroup, _ memberId: String, includeMembers: Bool) -> JoinGroupResponse {
        var r = JoinGroupResponse()
        r.generationId = group.generationId
        r.protocolType = version >= 7 ? group.protocolType : nil
        r.protocolName = group.protocolName ?? (version >= 7 ? nil : "")
        r.leader = group.leaderId ?? ""
        r.memberId = memberId
        if includeMembers {
            r.members = group.members.map { m in
                var rm = JoinGroupResponse.JoinGroupResponseMember()
                rm.memberId = m.memberId
                rm.groupInstanceId = version >= 5 ? m.groupInstanceId : nil
                rm.metadata = m.metadata(for: group.protocolName)
                return rm
            }
        }
        return r
    }

    func joinErrorResponse(_ version: Int16, _ memberId: String, _ error: KafkaError) -> JoinGroupResponse {
        var r = JoinGroupResponse()
        r.errorCode = error.rawValue
        r.generationId = -1
        r.protocolName = version >= 7 ? nil : ""
        r.memberId = memberId
        return r
    }

    mutating func joinFailed(_ ctx: RequestContext, _ memberId: String, _ error: KafkaError) {
        reply(ctx, .joinGroup(joinErrorResponse(ctx.apiVersion, memberId, error)))
    }

    func syncErrorResponse(_ error: KafkaError) -> SyncGroupResponse {
        var r = SyncGroupResponse()
        r.errorCode = error.rawValue
        return r
    }

    /// The group metadata record value (value version 3 fields) for the group's current generation.
    func groupMetadataValue(_ group: ClassicGroup, assignments: [String: ByteBuffer]? = nil) -> GroupMetadataValue {
        var v = GroupMetadataValue()
        v.protocolType = group.protocolType ?? ""
        v.generation = group.generationId
        v.protocol = group.protocolName
        v.leader = group.leaderId
        v.currentStateTimestamp = now
        v.members = group.members.map { m in
            var mm = GroupMetadataValue.MemberMetadata()
            mm.memberId = m.memberId
            mm.groupInstanceId = m.groupInstanceId
            mm.clientId = m.clientId
            mm.clientHost = m.clientHost
            mm.rebalanceTimeout = m.rebalanceTimeoutMs
            mm.sessionTimeout = m.sessionTimeoutMs
            mm.subscription = m.metadata(for: group.protocolName)
            mm.assignment = assignments.map { $0[m.memberId] ?? ByteBuffer() } ?? m.assignment
            return mm
        }
        return v
    }
}
