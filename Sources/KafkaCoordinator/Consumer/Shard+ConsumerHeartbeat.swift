import KafkaProtocol

/// ConsumerGroupHeartbeat (KIP-848): joining (epoch 0), heartbeating, leaving (epoch -1, or -2 for a static member
/// that will come back) and fencing. Each heartbeat (1) creates or updates the member, bumping the group epoch when
/// membership, subscriptions or the subscribed topics changed; (2) computes a new target assignment when the group
/// epoch is ahead of it; (3) moves this member one step towards its target (`Reconciliation`).
///
/// Differences from Kafka, on purpose: a known member that heartbeats with epoch 0 (it lost its state, e.g. after
/// being fenced) rejoins with nothing owned instead of being fenced again; members of a group that is still
/// converging are told `consumerReconciliationHeartbeatIntervalMs` (see GroupCoordinatorConfig).
extension GroupCoordinatorShard {
    mutating func consumerGroupHeartbeat(_ ctx: RequestContext, _ req: ConsumerGroupHeartbeatRequest) {
        if let (error, message) = validateHeartbeat(ctx, req) {
            return replyHeartbeatError(ctx, error, message)
        }
        if req.memberEpoch < 0 { return consumerGroupLeave(ctx, req) }

        // The group: an empty classic group (only offsets, or no members left) becomes a consumer group.
        var group: ConsumerGroup
        if let existing = consumerGroups[req.groupId] {
            group = existing
        } else if req.memberEpoch != 0 {
            return replyHeartbeatError(ctx, .unknownMemberId, "Group \(req.groupId) has no member \(req.memberId).")
        } else if let classic = groups[req.groupId], classic.state != .empty, classic.state != .dead {
            // KIP-848 online upgrade: the classic members carry on as classic members of the consumer group.
            guard let converted = upgradeToConsumerGroup(classic) else {
                return replyHeartbeatError(ctx, .groupIdNotFound, "Cannot upgrade classic group \(req.groupId) to a consumer group.")
            }
            group = converted
        } else {
            if groups[req.groupId]?.protocolType != nil { out.records.append(.groupTombstone(group: req.groupId)) }
            group = ConsumerGroup(groupId: req.groupId)
        }
        let memberId = req.memberId.isEmpty ? memberIds.nextUUID() : req.memberId
        let owned = req.topicPartitions.map(Self.partitionSet)

        // 1. The member.
        var replaced: ConsumerGroupMember?
        var member: ConsumerGroupMember
        if let instanceId = req.instanceId, let holder = group.staticMember(instanceId), holder.memberId != memberId {
            if req.memberEpoch != 0 {
                return replyHeartbeatError(ctx, .fencedInstanceId, "Static member \(memberId) with instance id \(instanceId) was fenced by member \(holder.memberId).")
            }
            if holder.memberEpoch != -2 {
                return replyHeartbeatError(ctx, .unreleasedInstanceId, "Instance id \(instanceId) is still owned by member \(holder.memberId).")
            }
            // KIP-848 static membership: the new incarnation takes over the one that left with epoch -2, with
            // its partitions, so nothing moves.
            replaced = holder
            member = ConsumerGroupMember(memberId: memberId)
            member.assignedPartitions = holder.assignedPartitions
            member.memberEpoch = 0
        } else if let existing = group.members[memberId] {
            member = existing
            if req.memberEpoch == 0 {
                // Rejoining: whatever it held is gone with its old state.
                member.assignedPartitions = [:]
                member.partitionsPendingRevocation = [:]
                member.state = .stable
                member.memberEpoch = 0
                member.previousMemberEpoch = 0
            } else if let error = Self.epochError(member, req.memberEpoch, owned: owned) {
                return replyHeartbeatError(ctx, .fencedMemberEpoch, error)
            }
        } else if req.memberEpoch == 0 {
            if group.members.count >= config.consumerMaxGroupSize {
                return replyHeartbeatError(ctx, .groupMaxSizeReached, "The consumer group has reached its maximum capacity of \(config.consumerMaxGroupSize) members.")
            }
            member = ConsumerGroupMember(memberId: memberId)
        } else {
            return replyHeartbeatError(ctx, .unknownMemberId, "Member \(memberId) is not a member of group \(req.groupId).")
        }
        let before = group.members[memberId]
        var updated = member
        if let v = req.instanceId { updated.instanceId = v }
        if let v = req.rackId { updated.rackId = v }
        if req.rebalanceTimeoutMs != -1 { updated.rebalanceTimeoutMs = req.rebalanceTimeoutMs }
        if let v = req.serverAssignor { updated.serverAssignor = v }
        if let v = req.subscribedTopicNames { updated.subscribedTopicNames = v }
        if ctx.apiVersion >= 1, let v = req.subscribedTopicRegex { updated.subscribedTopicRegex = v.isEmpty ? nil : v }
        updated.clientId = ctx.clientId
        updated.clientHost = ctx.clientHost
        updated.classic = nil  // it speaks the consumer protocol

        let reconciled = updateMember(&group, before: before, updated: updated, replaced: replaced, owned: owned)
        schedule(.consumerSession(group: group.groupId, member: memberId), after: config.consumerSessionTimeoutMs)

        var response = ConsumerGroupHeartbeatResponse()
        response.memberId = memberId
        response.memberEpoch = reconciled.memberEpoch
        response.heartbeatIntervalMs = heartbeatInterval(group)
        // The assignment goes out when the member reported what it owns, (re)joined, or its assignment changed.
        if owned != nil || req.memberEpoch == 0 || reconciled.assignedPartitions != member.assignedPartitions {
            var a = ConsumerGroupHeartbeatResponse.Assignment()
            a.topicPartitions = ConsumerGroup.sortedTopics(reconciled.assignedPartitions).map { t, ps in
                var tp = ConsumerGroupHeartbeatResponse.TopicPartitions()
                tp.topicId = t
                tp.partitions = ps
                return tp
            }
            response.assignment = a
        }
        reply(ctx, .consumerGroupHeartbeat(response))
    }

    /// Steps (1)-(3) for a member already admitted (a heartbeat, or a classic member's JoinGroup): writes the member,
    /// bumps the group epoch when membership, subscriptions or topics changed, computes a new target assignment when
    /// the epoch is ahead of it, and moves the member one step towards its target. Appends the records to the result;
    /// `group` is left as they make it. Returns the member as it now stands.
    mutating func updateMember(
        _ group: inout ConsumerGroup, before: ConsumerGroupMember?, updated: ConsumerGroupMember,
        replaced: ConsumerGroupMember?, owned: TopicPartitionSet?
    ) -> ConsumerGroupMember {
        let memberId = updated.memberId
        var records: [ConsumerGroupRecord] = []
        func emit(_ r: ConsumerGroupRecord) {
            records.append(r)
            _ = group.apply(r)
        }
        var inherited: TopicPartitionSet?
        if let replaced {
            inherited = group.targetAssignment[replaced.memberId] ?? [:]
            for r in Self.removalRecords(group.groupId, replaced.memberId) { emit(r) }
        }
        if before == nil || !Self.sameMetadata(before!, updated) { emit(ConsumerGroup.memberRecord(group.groupId, updated)) }
        if before == nil || before!.memberEpoch != updated.memberEpoch || before!.assignedPartitions != updated.assignedPartitions {
            emit(ConsumerGroup.currentAssignmentRecord(group.groupId, updated))
        }
        // A new member, a changed subscription or changed topics bump the group epoch.
        let hash = subscriptionHash(group)
        let subscriptionChanged = replaced.map { $0.subscription != updated.subscription }
            ?? (before == nil || before!.subscription != updated.subscription)
        if subscriptionChanged || hash != group.metadataHash || !group.hasMetadata {
            emit(ConsumerGroup.epochRecord(group.groupId, epoch: group.groupEpoch + 1, metadataHash: hash))
            consumerGroupChangedAt[group.groupId] = now
        }

        // 2. The target assignment.
        if group.groupEpoch > group.assignmentEpoch {
            let inherit = inherited.map { (memberId: memberId, partitions: $0) }
            for r in targetAssignmentRecords(group, inherit: inherit) { emit(r) }
        } else if let inherited, !inherited.isEmpty {
            // A static member replaced with the same subscription takes over its target as it is.
            emit(ConsumerGroup.targetMemberRecord(group.groupId, memberId, inherited))
        }

        // 3. This member's step towards its target.
        let current = group.members[memberId]!
        let reconciled = Reconciliation.reconcile(
            current, targetEpoch: group.assignmentEpoch, target: group.targetAssignment[memberId] ?? [:], owned: owned,
            isOwnedByOther: { [group] t, p in group.isOwnedByOther(t, p, than: memberId) })
        if reconciled != current { emit(ConsumerGroup.currentAssignmentRecord(group.groupId, reconciled)) }
        if reconciled.state == .unrevokedPartitions {
            if current.state != .unrevokedPartitions || current.partitionsPendingRevocation != reconciled.partitionsPendingRevocation {
                schedule(.consumerRebalance(group: group.groupId, member: memberId), after: Int64(max(0, reconciled.rebalanceTimeoutMs)))
            }
        } else {
            cancel(.consumerRebalance(group: group.groupId, member: memberId))
        }
        out.records += records.map { CoordinatorRecord.consumerGroup($0) }
        return reconciled
    }

    /// Leaving: epoch -1 removes the member (and bumps the group epoch so the others take its partitions);
    /// epoch -2 is a static member going away for a while: it keeps its partitions until it comes back with a
    /// new member id, or its session times out.
    private mutating func consumerGroupLeave(_ ctx: RequestContext, _ req: ConsumerGroupHeartbeatRequest) {
        guard let group = consumerGroups[req.groupId],
              let member = req.instanceId.flatMap({ group.staticMember($0) }) ?? group.members[req.memberId]
        else {
            return replyHeartbeatError(ctx, .unknownMemberId, "Member \(req.memberId) is not a member of group \(req.groupId).")
        }
        if member.memberId != req.memberId {
            return replyHeartbeatError(ctx, .fencedInstanceId, "Static member \(req.memberId) with instance id \(req.instanceId ?? "") was fenced by member \(member.memberId).")
        }
        if req.memberEpoch == -2, member.instanceId != nil {
            var m = member
            m.memberEpoch = -2
            out.records.append(.consumerGroup(ConsumerGroup.currentAssignmentRecord(group.groupId, m)))
            cancel(.consumerRebalance(group: group.groupId, member: member.memberId))
        } else {
            removeConsumerMember(group, member.memberId)
        }
        var response = ConsumerGroupHeartbeatResponse()
        response.memberId = req.memberId
        response.memberEpoch = req.memberEpoch
        reply(ctx, .consumerGroupHeartbeat(response))
    }

    /// Removes a member whose session or rebalance timed out.
    mutating func fenceConsumerMember(_ groupId: String, _ memberId: String) {
        guard let group = consumerGroups[groupId], group.members[memberId] != nil else { return }
        removeConsumerMember(group, memberId)
    }

    /// Tombstones for the member, then the group epoch bump without it (its partitions become free at once).
    /// Returns the records (also added to the result).
    @discardableResult
    mutating func removeConsumerMember(_ group: ConsumerGroup, _ memberId: String) -> [ConsumerGroupRecord] {
        var g = group
        var records = Self.removalRecords(g.groupId, memberId)
        for r in records { _ = g.apply(r) }
        cancel(.consumerSession(group: g.groupId, member: memberId))
        cancel(.consumerRebalance(group: g.groupId, member: memberId))
        // The last consumer-protocol member gone, classic members left: the group turns classic (KIP-848
        // downgrade), at the epoch its members are at, so their next heartbeat says REBALANCE_IN_PROGRESS.
        if shouldDowngrade(g, leaving: group.members[memberId]) {
            out.records += records.map { CoordinatorRecord.consumerGroup($0) }
            downgradeToClassicGroup(g)
            return records
        }
        let epoch = ConsumerGroup.epochRecord(g.groupId, epoch: g.groupEpoch + 1, metadataHash: subscriptionHash(g))
        records.append(epoch)
        consumerGroupChangedAt[g.groupId] = now
        out.records += records.map { CoordinatorRecord.consumerGroup($0) }
        return records
    }

    /// In the order Kafka writes them: current assignment, target assignment, then the member.
    static func removalRecords(_ groupId: String, _ memberId: String) -> [ConsumerGroupRecord] {
        [.currentAssignment(group: groupId, member: memberId, value: nil),
         .targetAssignmentMember(group: groupId, member: memberId, value: nil),
         .memberMetadata(group: groupId, member: memberId, value: nil)]
    }

    /// The shard replays a consumer group record.
    mutating func replayConsumerGroup(_ r: ConsumerGroupRecord) {
        var group = consumerGroups[r.groupId] ?? ConsumerGroup(groupId: r.groupId)
        if group.apply(r) {
            consumerGroups[r.groupId] = group
            // The id now names a consumer group; an empty classic group of the same id was converted.
            if !r.isTombstone, let classic = groups[r.groupId], classic.members.isEmpty { groups[r.groupId] = nil }
        } else {
            consumerGroups[r.groupId] = nil
            consumerGroupChangedAt[r.groupId] = nil
            for key in timerDeadlines.keys where key.group == r.groupId && !key.isClassic { timerDeadlines[key] = nil }
        }
    }

    // MARK: - Helpers

    /// The short interval while the group converges, and for one stable interval after its epoch last moved: members
    /// often join in bursts, and one told the long interval in a lull would learn of the next join only that much
    /// later. Members of a group stable for longer get the configured interval.
    private func heartbeatInterval(_ group: ConsumerGroup) -> Int32 {
        let stable = config.consumerHeartbeatIntervalMs
        let settling = group.state != .stable || now - (consumerGroupChangedAt[group.groupId] ?? .min / 2) < Int64(stable)
        return settling ? min(stable, config.consumerReconciliationHeartbeatIntervalMs) : stable
    }

    /// Kafka's checks of the request fields (INVALID_REQUEST names the field), the assignor and the regex.
    private func validateHeartbeat(_ ctx: RequestContext, _ req: ConsumerGroupHeartbeatRequest) -> (KafkaError, String)? {
        if req.groupId.isEmpty { return (.invalidRequest, "GroupId can't be empty.") }
        if req.instanceId?.isEmpty == true { return (.invalidRequest, "InstanceId can't be empty.") }
        if req.rackId?.isEmpty == true { return (.invalidRequest, "RackId can't be empty.") }
        if ctx.apiVersion >= 1 || req.memberEpoch != 0, req.memberId.isEmpty { return (.invalidRequest, "MemberId can't be empty.") }
        switch req.memberEpoch {
        case 0:
            if req.rebalanceTimeoutMs == -1 { return (.invalidRequest, "RebalanceTimeoutMs must be provided in first request.") }
            if req.topicPartitions?.isEmpty == false { return (.invalidRequest, "TopicPartitions must be empty when (re-)joining.") }
            if req.subscribedTopicNames == nil, req.subscribedTopicRegex == nil {
                return (.invalidRequest, "SubscribedTopicNames or SubscribedTopicRegex must be set in first request.")
            }
        case -2:
            if req.instanceId == nil { return (.invalidRequest, "InstanceId can't be null when MemberEpoch is -2.") }
        case -1, 1...:
            break
        default:
            return (.invalidRequest, "MemberEpoch is invalid.")
        }
        if let name = req.serverAssignor, !config.consumerAssignors.contains(name) {
            return (.unsupportedAssignor, "ServerAssignor \(name) is not supported. Supported assignors: \(config.consumerAssignors.joined(separator: ", ")).")
        }
        if let regex = req.subscribedTopicRegex, !regex.isEmpty {
            do { _ = try TopicRegex(regex) } catch {
                let reason = (error as? TopicRegexError)?.message ?? "\(error)"
                return (.invalidRegularExpression, "SubscribedTopicRegex \(regex) is not a valid RE2 regular expression: \(reason)")
            }
        }
        return nil
    }

    /// Why a heartbeat's epoch is refused, or nil: a member may be behind by one bump if it still owns only what
    /// it was assigned (the answer carrying the bump was lost).
    private static func epochError(_ m: ConsumerGroupMember, _ epoch: Int32, owned: TopicPartitionSet?) -> String? {
        if epoch > m.memberEpoch {
            return "The consumer group member has a greater member epoch (\(epoch)) than the one known by the group coordinator (\(m.memberEpoch)). The member must abandon all its partitions and rejoin."
        }
        if epoch < m.memberEpoch {
            let subset = (owned ?? [:]).subtracting(m.assignedPartitions).isEmpty
            if epoch != m.previousMemberEpoch || !subset {
                return "The consumer group member has a smaller member epoch (\(epoch)) than the one known by the group coordinator (\(m.memberEpoch)). The member must abandon all its partitions and rejoin."
            }
        }
        return nil
    }

    private static func sameMetadata(_ a: ConsumerGroupMember, _ b: ConsumerGroupMember) -> Bool {
        a.instanceId == b.instanceId && a.rackId == b.rackId && a.clientId == b.clientId && a.clientHost == b.clientHost
            && a.subscribedTopicNames == b.subscribedTopicNames && a.subscribedTopicRegex == b.subscribedTopicRegex
            && a.rebalanceTimeoutMs == b.rebalanceTimeoutMs && a.serverAssignor == b.serverAssignor && a.classic == b.classic
    }

    static func partitionSet(_ list: [ConsumerGroupHeartbeatRequest.TopicPartitions]) -> TopicPartitionSet {
        var out: TopicPartitionSet = [:]
        for t in list where !t.partitions.isEmpty { out[t.topicId, default: []].formUnion(t.partitions) }
        return out
    }

    private mutating func replyHeartbeatError(_ ctx: RequestContext, _ error: KafkaError, _ message: String) {
        var r = ConsumerGroupHeartbeatResponse()
        r.errorCode = error.rawValue
        r.errorMessage = message
        reply(ctx, .consumerGroupHeartbeat(r))
    }
}
