import KafkaProtocol

/// What consumer groups subscribe to, and their target assignments.
extension GroupCoordinatorShard {
    /// Names of the existing topics a member subscribes to: its names plus what its regex matches.
    mutating func subscribedTopics(_ m: ConsumerGroupMember) -> Set<String> {
        var names = Set(m.subscribedTopicNames)
        if let regex = m.subscribedTopicRegex { names.formUnion(resolve(regex)) }
        return names
    }

    /// The topics a regex matches (whole names, internal topics excluded), resolved once per metadata update.
    mutating func resolve(_ pattern: String) -> Set<String> {
        if let cached = resolvedRegexes[pattern], cached.version == topicsVersion { return cached.topics }
        var matched: Set<String> = []
        // TopicRegex (RE2 syntax, linear-time matching, as Kafka's RE2/J): a client's pattern cannot make the
        // coordinator backtrack exponentially over topic names.
        if let regex = try? TopicRegex(pattern) {
            for topic in topics.values where !Self.internalTopics.contains(topic.name) {
                if regex.wholeMatch(topic.name) { matched.insert(topic.name) }
            }
        }
        resolvedRegexes[pattern] = (topicsVersion, matched)
        return matched
    }

    static let internalTopics: Set<String> = ["__consumer_offsets", "__transaction_state"]

    /// A hash of the ids and partition counts of every existing topic the group subscribes to: when it
    /// changes (a topic created, deleted or grown) the group epoch bumps and partitions are assigned again.
    /// FNV-1a over the sorted entries; stored in the group's metadata record (Kafka's `MetadataHash`).
    mutating func subscriptionHash(_ group: ConsumerGroup) -> Int64 {
        var names = Set(group.subscribedNameCounts.keys)
        for regex in group.subscribedRegexCounts.keys { names.formUnion(resolve(regex)) }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ v: UInt64) {
            for i in 0..<8 {
                h ^= (v >> (UInt64(i) * 8)) & 0xff
                h &*= 0x100_0000_01b3
            }
        }
        for name in names.sorted() {
            guard let id = topicIdsByName[name], let topic = topics[id] else { continue }
            for byte in name.utf8 { mix(UInt64(byte)) }
            mix(id.mostSignificantBits)
            mix(id.leastSignificantBits)
            mix(UInt64(bitPattern: Int64(topic.partitionCount)))
        }
        return Int64(bitPattern: h)
    }

    /// The records of a new target assignment at the group's epoch: one per member whose target changed, then
    /// the target's epoch. `inherit` gives a static member that replaced another the old one's target to keep.
    mutating func targetAssignmentRecords(_ group: ConsumerGroup, inherit: (memberId: String, partitions: TopicPartitionSet)?) -> [ConsumerGroupRecord] {
        var spec = AssignmentSpec(members: [], topics: [:])
        var members: [AssignmentSpec.Member] = []
        for m in group.members.values {
            var ids: Set<KafkaUUID> = []
            for name in subscribedTopics(m) {
                guard let id = topicIdsByName[name], let topic = topics[id] else { continue }
                ids.insert(id)
                spec.topics[id] = topic
            }
            var current = group.targetAssignment[m.memberId] ?? [:]
            if let inherit, inherit.memberId == m.memberId { current = inherit.partitions }
            current = current.filter { ids.contains($0.key) }
            members.append(AssignmentSpec.Member(memberId: m.memberId, instanceId: m.instanceId, rackId: m.rackId,
                                                 subscribedTopicIds: ids, currentAssignment: current))
        }
        // Only partitions that still exist can be kept.
        for i in members.indices {
            members[i].currentAssignment = members[i].currentAssignment.reduce(into: [:]) { acc, e in
                let count = spec.topics[e.key]?.partitionCount ?? 0
                let kept = e.value.filter { $0 < count }
                if !kept.isEmpty { acc[e.key] = kept }
            }
        }
        spec = AssignmentSpec(members: members, topics: spec.topics)
        let assignor = ConsumerGroupAssignors.named(preferredAssignor(group)) ?? UniformAssignor()
        let result = assignor.assign(spec)

        var records: [ConsumerGroupRecord] = []
        for m in spec.members {
            let new = (result[m.memberId] ?? [:]).normalized
            let old = (group.targetAssignment[m.memberId] ?? [:]).normalized
            if new != old || group.targetAssignment[m.memberId] == nil {
                records.append(ConsumerGroup.targetMemberRecord(group.groupId, m.memberId, new))
            }
        }
        records.append(ConsumerGroup.targetEpochRecord(group.groupId, epoch: group.groupEpoch, now: now))
        return records
    }

    /// The assignor most members ask for (ties to the first configured), Kafka's `computePreferredServerAssignor`.
    func preferredAssignor(_ group: ConsumerGroup) -> String {
        var votes: [String: Int] = [:]
        for m in group.members.values { if let a = m.serverAssignor { votes[a, default: 0] += 1 } }
        let best = votes.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }
        return best?.key ?? config.consumerAssignors.first ?? ConsumerGroupAssignors.defaultName
    }
}
