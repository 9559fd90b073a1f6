import KafkaProtocol
import NIOCore

/// SyncGroup and Heartbeat (Kafka's `classicGroupSync` and `classicGroupHeartbeat`).
extension GroupCoordinatorShard {
    mutating func syncGroup(_ ctx: RequestContext, _ req: SyncGroupRequest) {
        func fail(_ e: KafkaError) { reply(ctx, .syncGroup(syncErrorResponse(e))) }
        if let consumerGroup = consumerGroups[req.groupId] { return classicSyncToConsumerGroup(ctx, req, consumerGroup) }
        guard var group = groups[req.groupId] else { return fail(.unknownMemberId) }
        if group.state == .dead { return fail(.coordinatorNotAvailable) }
        if let error = validateMember(group, req.memberId, req.groupInstanceId) { return fail(error) }
        if req.generationId != group.generationId { return fail(.illegalGeneration) }
        // v5 (KIP-559): the client names the protocol it thinks the group runs.
        if let type = req.protocolType, type != group.protocolType { return fail(.inconsistentGroupProtocol) }
        if let name = req.protocolName, name != group.protocolName { return fail(.inconsistentGroupProtocol) }
        switch group.state {
        case .empty, .dead:
            return fail(.unknownMemberId)
        case .preparingRebalance:
            return fail(.rebalanceInProgress)
        case .completingRebalance:
            group.update(req.memberId) { $0.heldSync = HeldRequest(requestId: ctx.requestId, apiVersion: ctx.apiVersion) }
            removePendingSync(&group, req.memberId)
            if group.isLeader(req.memberId) {
                var assignments: [String: ByteBuffer] = [:]
                for a in req.assignments where group.hasMember(a.memberId) { assignments[a.memberId] = a.assignment }
                // The assignment is stored by writing the group's metadata; replaying it makes the group Stable.
                out.records.append(.groupMetadata(group: group.groupId, value: groupMetadataValue(group, assignments: assignments)))
                for i in group.members.indices {
                    guard let held = group.members[i].heldSync else { continue }
                    var r = SyncGroupResponse()
                    r.protocolType = held.apiVersion >= 5 ? group.protocolType : nil
                    r.protocolName = held.apiVersion >= 5 ? group.protocolName : nil
                    r.assignment = assignments[group.members[i].memberId] ?? ByteBuffer()
                    reply(held, .syncGroup(r))
                    group.members[i].heldSync = nil
                }
            }
        case .stable:
            removePendingSync(&group, req.memberId)
            var r = SyncGroupResponse()
            r.protocolType = ctx.apiVersion >= 5 ? group.protocolType : nil
            r.protocolName = ctx.apiVersion >= 5 ? group.protocolName : nil
            r.assignment = group.member(req.memberId)?.assignment ?? ByteBuffer()
            reply(ctx, .syncGroup(r))
        }
        groups[req.groupId] = group
    }

    private mutating func removePendingSync(_ group: inout ClassicGroup, _ memberId: String) {
        group.pendingSyncMembers.remove(memberId)
        if group.pendingSyncMembers.isEmpty { cancel(.sync(group: group.groupId)) }
    }

    mutating func heartbeat(_ ctx: RequestContext, _ req: HeartbeatRequest) {
        func answer(_ e: KafkaError) {
            var r = HeartbeatResponse()
            r.errorCode = e.rawValue
            reply(ctx, .heartbeat(r))
        }
        if let consumerGroup = consumerGroups[req.groupId] { return classicHeartbeatToConsumerGroup(ctx, req, consumerGroup) }
        guard let group = groups[req.groupId] else { return answer(.unknownMemberId) }
        if group.state == .dead { return answer(.coordinatorNotAvailable) }
        if let error = validateMember(group, req.memberId, req.groupInstanceId) { return answer(error) }
        if req.generationId != group.generationId { return answer(.illegalGeneration) }
        let sessionMs = Int64(group.member(req.memberId)!.sessionTimeoutMs)
        switch group.state {
        case .empty, .dead:
            answer(.unknownMemberId)
        case .preparingRebalance:
            schedule(.heartbeat(group: group.groupId, member: req.memberId), after: sessionMs)
            answer(.rebalanceInProgress)
        case .completingRebalance, .stable:
            // Heartbeats between JoinGroup and SyncGroup answers are normal and keep the session alive.
            schedule(.heartbeat(group: group.groupId, member: req.memberId), after: sessionMs)
            answer(.none)
        }
    }
}
