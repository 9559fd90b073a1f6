import KafkaProtocol

/// OffsetDelete (KIP-496) and offset retention (KIP-211).
extension GroupCoordinatorShard {
    mutating func offsetDelete(_ ctx: RequestContext, _ req: OffsetDeleteRequest) {
        var response = OffsetDeleteResponse()
        if let cg = consumerGroups[req.groupId] {
            var subscribed: Set<String> = []
            for m in cg.members.values { subscribed.formUnion(subscribedTopics(m)) }
            return deleteOffsets(ctx, req, subscribed: subscribed)
        }
        guard let group = groups[req.groupId], group.state != .dead else {
            response.errorCode = KafkaError.groupIdNotFound.rawValue
            return reply(ctx, .offsetDelete(response))
        }
        if group.state != .empty, group.protocolType != "consumer" {
            // Only the consumer protocol says which topics members use; other non-empty groups are off limits.
            response.errorCode = KafkaError.nonEmptyGroup.rawValue
            return reply(ctx, .offsetDelete(response))
        }
        deleteOffsets(ctx, req, subscribed: group.state == .empty ? [] : (group.subscribedTopics ?? []))
    }

    /// Tombstones for the named offsets, except of topics members still subscribe to.
    private mutating func deleteOffsets(_ ctx: RequestContext, _ req: OffsetDeleteRequest, subscribed: Set<String>) {
        var response = OffsetDeleteResponse()
        for topic in req.topics {
            var rt = OffsetDeleteResponse.OffsetDeleteResponseTopic()
            rt.name = topic.name
            for p in topic.partitions {
                var rp = OffsetDeleteResponse.OffsetDeleteResponsePartition()
                rp.partitionIndex = p.partitionIndex
                if subscribed.contains(topic.name) {
                    rp.errorCode = KafkaError.groupSubscribedToTopic.rawValue
                } else if offsets[req.groupId]?[GroupTopicPartition(topic.name, p.partitionIndex)] != nil {
                    out.records.append(.offsetTombstone(group: req.groupId, topic: topic.name, partition: p.partitionIndex))
                }
                rt.partitions.append(rp)
            }
            response.topics.append(rt)
        }
        reply(ctx, .offsetDelete(response))
    }

    /// The periodic sweep: offsets past retention get tombstones, and an Empty group left without offsets is
    /// deleted. Retention counts from when the group became Empty, or from the commit for simple groups and for
    /// topics a Stable consumer group no longer subscribes to (KIP-211).
    mutating func expireOffsets() {
        for groupId in offsets.keys.sorted() {
            if let cg = consumerGroups[groupId] {
                expireConsumerGroupOffsets(cg)
                continue
            }
            guard let committed = offsets[groupId], let group = groups[groupId] else { continue }
            var skipTopics: Set<String> = []
            let fromStateChange: Bool
            if group.protocolType == nil {
                fromStateChange = false
            } else if group.state == .empty {
                fromStateChange = group.stateTimestamp >= 0
            } else if group.state == .stable, let subscribed = group.subscribedTopics {
                fromStateChange = false
                skipTopics = subscribed
            } else {
                continue
            }
            var expired: [GroupTopicPartition] = []
            for (tp, offset) in committed where !skipTopics.contains(tp.topic) {
                let isExpired: Bool
                if let expire = offset.expireTimestamp {
                    isExpired = now >= expire
                } else {
                    let base = fromStateChange ? group.stateTimestamp : offset.commitTimestamp
                    isExpired = now - base >= config.offsetsRetentionMs
                }
                if isExpired { expired.append(tp) }
            }
            for tp in expired.sorted() {
                out.records.append(.offsetTombstone(group: groupId, topic: tp.topic, partition: tp.partition))
            }
            if expired.count == committed.count, group.state == .empty {
                out.records.append(.groupTombstone(group: groupId))
            }
        }
        // Empty consumer groups left without offsets go too (Kafka's group cleanup in the same sweep).
        for (groupId, group) in consumerGroups.sorted(by: { $0.key < $1.key }) where group.members.isEmpty && offsets[groupId] == nil {
            out.records.append(.consumerGroup(.targetAssignmentMetadata(group: groupId, value: nil)))
            out.records.append(.consumerGroup(.metadata(group: groupId, value: nil)))
        }
        schedule(.offsetExpiration, after: config.offsetsRetentionCheckIntervalMs)
    }

    /// A consumer group's offsets expire from their commit, except those of topics its members subscribe to;
    /// an empty group whose offsets all expired is deleted.
    private mutating func expireConsumerGroupOffsets(_ group: ConsumerGroup) {
        guard let committed = offsets[group.groupId] else { return }
        var subscribed: Set<String> = []
        for m in group.members.values { subscribed.formUnion(subscribedTopics(m)) }
        var expired: [GroupTopicPartition] = []
        for (tp, offset) in committed where !subscribed.contains(tp.topic) {
            let isExpired = offset.expireTimestamp.map { now >= $0 } ?? (now - offset.commitTimestamp >= config.offsetsRetentionMs)
            if isExpired { expired.append(tp) }
        }
        for tp in expired.sorted() {
            out.records.append(.offsetTombstone(group: group.groupId, topic: tp.topic, partition: tp.partition))
        }
        if expired.count == committed.count, group.members.isEmpty {
            out.records.append(.consumerGroup(.targetAssignmentMetadata(group: group.groupId, value: nil)))
            out.records.append(.consumerGroup(.metadata(group: group.groupId, value: nil)))
        }
    }
}
