import KafkaProtocol

/// Kafka's server-side `range` assignor (KIP-848): per topic, the topic's subscribers in a fixed order receive
/// contiguous ranges of partitions.
///
/// For a topic with `P` partitions and `S` subscribers, the subscribers (in the order below) get consecutive ranges;
/// each gets `P / S` partitions and the first `P % S` get one more. Subscribers beyond `P` get nothing from it.
/// Because every topic uses the same member order, topics with equal partition counts and the same subscribers are
/// co-partitioned: one member gets partition `i` of all of them, which is what stream joins need.
///
/// Behaviour followed: the current Kafka implementation (`RangeAssignor` in the group coordinator since 3.9/4.0),
/// which is *not* sticky on the current assignment: the earlier sticky variant was replaced by a pure range layout
/// whose stability comes from member order instead. Members are ordered static-first: members with a KIP-345
/// instance id, sorted by instance id, then the others sorted by member id (a rejoining static member gets a new
/// member id, so ordering by instance id keeps its ranges). With no static members this is member-id order. Rack ids
/// are ignored (the spec carries no partition racks).
///
/// Output is normalized: every member appears, and a topic appears in a member's assignment only when it got at
/// least one partition of it.
public struct RangeAssignor: ConsumerGroupAssignor {
    public var name: String { "range" }

    public init() {}

    public func assign(_ spec: AssignmentSpec) -> [String: TopicPartitionSet] {
        var result: [String: TopicPartitionSet] = [:]
        result.reserveCapacity(spec.members.count)
        for member in spec.members { result[member.memberId] = [:] }

        let ordered = Self.orderedMembers(spec.members)

        // Number topics densely on first sight, counting subscribers as we go: a topic's quota depends on how many
        // members share it, and one hash lookup per subscription entry keeps groups with many topics cheap.
        var index: [KafkaUUID: Int] = [:]
        var topicIds: [KafkaUUID] = []
        var partitionCounts: [Int] = []
        var subscriberCounts: [Int] = []
        let memberTopics = ordered.map { member in
            member.subscribedTopicIds.compactMap { topicId -> Int? in
                if let t = index[topicId] {
                    subscriberCounts[t] += 1
                    return t
                }
                guard let topic = spec.topics[topicId] else { return nil }
                index[topicId] = topicIds.count
                topicIds.append(topicId)
                partitionCounts.append(max(0, Int(topic.partitionCount)))
                subscriberCounts.append(1)
                return topicIds.count - 1
            }
        }

        // Per topic: the next partition to hand out and how many subscribers still get one extra.
        var nextPartition = [Int](repeating: 0, count: topicIds.count)
        var extrasLeft = topicIds.indices.map { partitionCounts[$0] % subscriberCounts[$0] }
        for (member, topics) in zip(ordered, memberTopics) {
            var assignment: TopicPartitionSet = [:]
            for t in topics {
                var length = partitionCounts[t] / subscriberCounts[t]
                if extrasLeft[t] > 0 {
                    length += 1
                    extrasLeft[t] -= 1
                }
                let start = nextPartition[t], end = min(start + length, partitionCounts[t])
                nextPartition[t] = end
                if start < end { assignment[topicIds[t]] = Set((start..<end).map { Int32($0) }) }
            }
            result[member.memberId] = assignment
        }
        return result
    }

    /// Static members (by instance id) before dynamic ones (by member id), as Kafka orders them.
    private static func orderedMembers(_ members: [AssignmentSpec.Member]) -> [AssignmentSpec.Member] {
        members.sorted { a, b in
            switch (a.instanceId, b.instanceId) {
            case let (x?, y?): return x != y ? x < y : a.memberId < b.memberId
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a.memberId < b.memberId
            }
        }
    }
}
