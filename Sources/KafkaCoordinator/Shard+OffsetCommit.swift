import KafkaProtocol

/// OffsetCommit (Kafka's `OffsetMetadataManager.commitOffset` with `ClassicGroup.validateOffsetCommit`).
extension GroupCoordinatorShard {
    mutating func offsetCommit(_ ctx: RequestContext, _ req: OffsetCommitRequest) {
        let version = ctx.apiVersion
        var groupError: KafkaError?
        if req.groupId.isEmpty {
            groupError = .invalidGroupId
        } else if let group = consumerGroups[req.groupId] {
            groupError = validateConsumerGroupAccess(group, memberId: req.memberId, memberEpoch: req.generationIdOrMemberEpoch)
            if groupError == nil, version < 9, let m = group.members[req.memberId], m.classic == nil {
                groupError = .unsupportedVersion  // consumer-protocol members commit with v9+ (member epochs)
            }
        } else if let group = groups[req.groupId] {
            groupError = validateOffsetCommit(group, req)
        } else if req.generationIdOrMemberEpoch >= 0 {
            // A member of a group this coordinator does not know: from v9 say so; before, ILLEGAL_GENERATION
            // sends older clients back to JoinGroup.
            groupError = version >= 9 ? .groupIdNotFound : .illegalGeneration
        }
        // else: a simple consumer (generation -1) creates an offsets-only group by committing.

        var response = OffsetCommitResponse()
        for topic in req.topics {
            var rt = OffsetCommitResponse.OffsetCommitResponseTopic()
            rt.name = version >= 10 ? "" : topic.name
            rt.topicId = version >= 10 ? topic.topicId : .zero
            let topicName: String? = version >= 10 ? topics[topic.topicId]?.name : topic.name
            for p in topic.partitions {
                var rp = OffsetCommitResponse.OffsetCommitResponsePartition()
                rp.partitionIndex = p.partitionIndex
                let metadata = p.committedMetadata ?? ""
                if let groupError {
                    rp.errorCode = groupError.rawValue
                } else if topicName == nil {
                    rp.errorCode = KafkaError.unknownTopicId.rawValue
                } else if metadata.utf8.count > config.offsetMetadataMaxBytes {
                    rp.errorCode = KafkaError.offsetMetadataTooLarge.rawValue
                } else {
                    var value = OffsetCommitValue()
                    value.offset = p.committedOffset
                    value.leaderEpoch = version >= 6 ? p.committedLeaderEpoch : -1
                    value.metadata = metadata
                    value.commitTimestamp = now
                    // v2-v4 carried a per-request retention; later versions use offsets.retention.minutes.
                    if (2...4).contains(version), req.retentionTimeMs >= 0 { value.expireTimestamp = now + req.retentionTimeMs }
                    out.records.append(.offsetCommit(group: req.groupId, topic: topicName!, partition: p.partitionIndex, value: value))
                }
                rt.partitions.append(rp)
            }
            response.topics.append(rt)
        }
        reply(ctx, .offsetCommit(response))
    }

    /// Who may commit for a classic group: anyone (generation -1, no member id) while it is Empty; otherwise a
    /// current member in the current generation, and not between JoinGroup and SyncGroup.
    private func validateOffsetCommit(_ group: ClassicGroup, _ req: OffsetCommitRequest) -> KafkaError? {
        if group.state == .dead { return .coordinatorNotAvailable }
        let generation = req.generationIdOrMemberEpoch
        if generation < 0, group.state == .empty { return nil }
        if generation >= 0 || !req.memberId.isEmpty || req.groupInstanceId != nil {
            if let error = validateMember(group, req.memberId, req.groupInstanceId) { return error }
            if generation != group.generationId { return .illegalGeneration }
        } else if group.state != .empty {
            return .unknownMemberId
        }
        // The member knows the new generation from its JoinGroup answer but has no assignment yet.
        if group.state == .completingRebalance { return .rebalanceInProgress }
        return nil
    }

    /// Who may commit to or fetch from a consumer group (Kafka's `ConsumerGroup.validateOffsetCommit`): anyone with
    /// epoch -1 while the group has no members; otherwise a member at its current epoch (STALE_MEMBER_EPOCH).
    func validateConsumerGroupAccess(_ group: ConsumerGroup, memberId: String, memberEpoch: Int32) -> KafkaError? {
        if memberEpoch < 0, group.members.isEmpty { return nil }
        guard let member = group.members[memberId] else { return .unknownMemberId }
        if member.memberEpoch == memberEpoch { return nil }
        // A classic member's generation is its member epoch.
        return member.classic == nil ? .staleMemberEpoch : .illegalGeneration
    }
}
