import KafkaProtocol
import NIOCore

/// Classic-protocol members of a consumer group (KIP-848 online migration, Kafka's `classicGroup*ToConsumerGroup`):
/// a consumer on the classic protocol keeps using JoinGroup/SyncGroup/Heartbeat/LeaveGroup while the group is run
/// by the consumer protocol. Its subscription comes from the ConsumerProtocolSubscription it joins with; the
/// coordinator assigns its partitions (the group's server-side assignor) and hands them out in SyncGroup. When
/// its partitions must move, its Heartbeat answers REBALANCE_IN_PROGRESS and its next JoinGroup (reporting what it
/// still owns: eager clients own nothing by then) moves it on, exactly as a consumer-protocol member's heartbeat.
/// Nobody leads and nothing waits for other members: JoinGroup and SyncGroup are answered at once.
extension GroupCoordinatorShard {
    mutating func classicJoinToConsumerGroup(_ ctx: RequestContext, _ req: JoinGroupRequest, _ existing: ConsumerGroup) {
        var group = existing
        guard req.protocolType == "consumer", let (subscription, protocols) = Self.subscription(req.protocols) else {
            return joinFailed(ctx, req.memberId, .inconsistentGroupProtocol)
        }
        var memberId = req.memberId
        var replaced: ConsumerGroupMember?
        if memberId.isEmpty {
            memberId = memberIds.next(clientId: ctx.clientId)
            if ctx.apiVersion >= 4, req.groupInstanceId == nil {
                // KIP-394: the member must come back with the id it is given.
                if issuedClassicMemberIds.count >= 10_000 { issuedClassicMemberIds.removeAll() }
                issuedClassicMemberIds.insert(memberId)
                return joinFailed(ctx, memberId, .memberIdRequired)
            }
        }
        if let instanceId = req.groupInstanceId, let holder = group.staticMember(instanceId), holder.memberId != memberId {
            replaced = holder  // KIP-345: the new instance takes over the old one's partitions
        } else if let known = group.members[memberId] {
            guard known.classic != nil else { return joinFailed(ctx, memberId, .unknownMemberId) }
        } else if !req.memberId.isEmpty, !issuedClassicMemberIds.contains(memberId) {
            return joinFailed(ctx, memberId, .unknownMemberId)
        }
        if group.members[memberId] == nil, replaced == nil, group.members.count >= config.consumerMaxGroupSize {
            return joinFailed(ctx, memberId, .groupMaxSizeReached)
        }
        issuedClassicMemberIds.remove(memberId)

        let before = group.members[memberId]
        var updated = before ?? ConsumerGroupMember(memberId: memberId)
        if let replaced {
            updated.assignedPartitions = replaced.assignedPartitions
        }
        updated.instanceId = req.groupInstanceId
        if let rack = subscription.rackId { updated.rackId = rack }
        updated.rebalanceTimeoutMs = ctx.apiVersion >= 1 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs
        updated.subscribedTopicNames = subscription.topics
        updated.subscribedTopicRegex = nil
        updated.serverAssignor = nil
        updated.clientId = ctx.clientId
        updated.clientHost = ctx.clientHost
        updated.classic = ClassicMembership(sessionTimeoutMs: req.sessionTimeoutMs, protocols: protocols)
        // What it reports owning; an eager member has given everything up before rejoining.
        var owned: TopicPartitionSet = [:]
        for tp in subscription.ownedPartitions {
            guard let id = topicIdsByName[tp.topic], !tp.partitions.isEmpty else { continue }
            owned[id, default: []].formUnion(tp.partitions)
        }
        let reconciled = updateMember(&group, before: before, updated: updated, replaced: replaced, owned: owned)
        schedule(.consumerSession(group: group.groupId, member: memberId), after: Int64(req.sessionTimeoutMs))

        var r = JoinGroupResponse()
        r.generationId = reconciled.memberEpoch
        r.memberId = memberId
        r.protocolName = protocols.first?.name ?? ""
        if ctx.apiVersion >= 7 { r.protocolType = "consumer" }
        reply(ctx, .joinGroup(r))
    }

    mutating func classicSyncToConsumerGroup(_ ctx: RequestContext, _ req: SyncGroupRequest, _ group: ConsumerGroup) {
        func fail(_ e: KafkaError) { reply(ctx, .syncGroup(syncErrorResponse(e))) }
        guard let member = group.members[req.memberId], let classic = member.classic else { return fail(.unknownMemberId) }
        if req.generationId != member.memberEpoch { return fail(.illegalGeneration) }
        if let type = req.protocolType, type != "consumer" { return fail(.inconsistentGroupProtocol) }
        if let name = req.protocolName, !classic.protocols.contains(where: { $0.name == name }) { return fail(.inconsistentGroupProtocol) }
        schedule(.consumerSession(group: group.groupId, member: member.memberId), after: Int64(classic.sessionTimeoutMs))
        var r = SyncGroupResponse()
        if ctx.apiVersion >= 5 {
            r.protocolType = "consumer"
            r.protocolName = classic.protocols.first?.name
        }
        r.assignment = consumerProtocolAssignment(member.assignedPartitions)
        reply(ctx, .syncGroup(r))
    }

    mutating func classicHeartbeatToConsumerGroup(_ ctx: RequestContext, _ req: HeartbeatRequest, _ group: ConsumerGroup) {
        var r = HeartbeatResponse()
        if let member = group.members[req.memberId], let classic = member.classic {
            if req.generationId != member.memberEpoch {
                r.errorCode = KafkaError.illegalGeneration.rawValue
            } else {
                schedule(.consumerSession(group: group.groupId, member: member.memberId), after: Int64(classic.sessionTimeoutMs))
                // Not at the group's target yet: it must rejoin to move on.
                let settled = group.groupEpoch == group.assignmentEpoch && member.memberEpoch == group.assignmentEpoch
                    && member.state == .stable
                if !settled { r.errorCode = KafkaError.rebalanceInProgress.rawValue }
            }
        } else {
            r.errorCode = KafkaError.unknownMemberId.rawValue
        }
        reply(ctx, .heartbeat(r))
    }

    mutating func classicLeaveFromConsumerGroup(_ ctx: RequestContext, _ req: LeaveGroupRequest, _ existing: ConsumerGroup) {
        var identities = req.members
        if ctx.apiVersion < 3 {
            var one = LeaveGroupRequest.MemberIdentity()
            one.memberId = req.memberId
            identities = [one]
        }
        var group = existing
        var response = LeaveGroupResponse()
        for identity in identities {
            var mr = LeaveGroupResponse.MemberResponse()
            mr.memberId = identity.memberId
            mr.groupInstanceId = identity.groupInstanceId
            let member = identity.groupInstanceId.flatMap { group.staticMember($0) } ?? group.members[identity.memberId]
            if groups[group.groupId] != nil {
                mr.errorCode = KafkaError.unknownMemberId.rawValue  // the group turned classic under this request
            } else if let member, identity.memberId.isEmpty || identity.memberId == member.memberId {
                for r in removeConsumerMember(group, member.memberId) { _ = group.apply(r) }
            } else {
                mr.errorCode = (member == nil ? KafkaError.unknownMemberId : .fencedInstanceId).rawValue
            }
            response.members.append(mr)
        }
        if ctx.apiVersion < 3 {
            // One member, answered at the top level (the members array came with v3).
            response.errorCode = response.members.first?.errorCode ?? 0
            response.members = []
        }
        reply(ctx, .leaveGroup(response))
    }

    // MARK: - The classic consumer protocol's bytes

    /// The subscription of the first protocol that parses as a ConsumerProtocolSubscription, and the protocols.
    static func subscription(_ protocols: [JoinGroupRequest.JoinGroupRequestProtocol]) -> (ConsumerProtocolSubscription, [MemberProtocol])? {
        let all = protocols.map { MemberProtocol(name: $0.name, metadata: $0.metadata) }
        for p in all {
            var bytes = p.metadata
            guard let version: Int16 = bytes.readInteger(endianness: .big), version >= 0 else { continue }
            let v = min(version, ConsumerProtocolSubscription.validVersions.upperBound)
            if let sub = try? ConsumerProtocolSubscription(from: &bytes, version: v) { return (sub, all) }
        }
        return nil
    }

    /// A ConsumerProtocolAssignment (version 0, understood by every client) of the partitions, by topic name.
    func consumerProtocolAssignment(_ set: TopicPartitionSet) -> ByteBuffer {
        var a = ConsumerProtocolAssignment()
        a.assignedPartitions = ConsumerGroup.sortedTopics(set).compactMap { t, ps in
            guard let name = topics[t]?.name else { return nil }
            var tp = ConsumerProtocolAssignment.TopicPartition()
            tp.topic = name
            tp.partitions = ps
            return tp
        }
        var b = ByteBuffer()
        b.writeInteger(Int16(0), endianness: .big)
        try? a.encode(into: &b, version: 0)
        return b
    }

    /// A ConsumerProtocolSubscription (version 0) of the topics.
    func consumerProtocolSubscription(_ topics: [String]) -> ByteBuffer {
        var s = ConsumerProtocolSubscription()
        s.topics = topics.sorted()
        var b = ByteBuffer()
        b.writeInteger(Int16(0), endianness: .big)
        try? s.encode(into: &b, version: 0)
        return b
    }
}
