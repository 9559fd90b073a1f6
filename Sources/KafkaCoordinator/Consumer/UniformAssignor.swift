import KafkaProtocol

/// Kafka's server-side `uniform` assignor (KIP-848), the default: balanced first, sticky second.
///
/// **Homogeneous groups** (every member subscribes to the same topics), as Kafka's homogeneous builder: with `P`
/// partitions and `M` members, every member gets `P / M` or `P / M + 1` partitions. Each member keeps as many of its
/// current partitions as its quota allows; only the excess and the unowned partitions are handed out, in (topic
/// name, partition) order, to members below quota. Kafka gives the `P % M` larger quotas to whichever members it
/// meets first; here they go to the members that already hold the most, which never moves more partitions and
/// usually moves fewer (adding a member to a balanced group moves only the partitions the newcomer needs; removing
/// one moves only that member's partitions).
///
/// **Heterogeneous groups**, as Kafka's heterogeneous builder: current partitions of still-subscribed topics are
/// kept, then topics are visited (most partitions per subscriber first, then fewest subscribers, then name) and
/// each topic's partitions are spread over its subscribers so their total loads are as level as that topic allows
/// ("water-filling": members with the least load from other topics fill up first; a member keeps a partition
/// whenever its share allows). Visiting repeats until a full round changes nothing, so the result satisfies: no
/// member subscribed to a topic has 2 or more fewer partitions than a member owning a partition of it (as in Kafka,
/// chained subscriptions may settle at e.g. 3/4/5 where only a chain of moves would reach 4/4/4). Kafka stops
/// after 16 rounds; rounds here are cheap when nothing changes and each productive round strictly lowers the sum of
/// squared loads, so the loop ends, with a generous cap only as a guard.
///
/// Deterministic: ties break by member id order and topic name. Rack ids are ignored. Output is normalized: every
/// member appears, topics only with at least one partition.
public struct UniformAssignor: ConsumerGroupAssignor {
    public var name: String { "uniform" }

    public init() {}

    public func assign(_ spec: AssignmentSpec) -> [String: TopicPartitionSet] {
        guard !spec.members.isEmpty else { return [:] }
        var state = UniformAssignmentState(spec)
        state.claimCurrentAssignments()
        if state.isHomogeneous {
            state.assignHomogeneous()
        } else {
            state.assignHeterogeneous()
        }
        return state.result()
    }
}

/// Working state: members and topics are numbered densely so the hot loops index arrays rather than hash maps.
private struct UniformAssignmentState {
    /// Upper bound on topic visits, in full rounds, for the heterogeneous balancing loop (see the type's doc).
    static let maxRounds = 4096

    let members: [AssignmentSpec.Member]
    /// Subscribed, existing topics sorted by (name, id).
    let topicIds: [KafkaUUID]
    let topicIndex: [KafkaUUID: Int]
    let partitionCounts: [Int]
    /// Per topic: indices of its subscribers, ascending (member id order).
    let subscribers: [[Int]]
    /// Per topic, per partition: the owning member's index, or -1.
    var owner: [[Int]]
    /// Per member: number of partitions owned.
    var load: [Int]

    init(_ spec: AssignmentSpec) {
        members = spec.members
        // Number topics in order of first sight (one hash lookup per subscription entry, which dominates for
        // groups with thousands of topics), then renumber them in (name, id) order for determinism.
        var seen: [KafkaUUID: Int] = [:]
        var seenIds: [KafkaUUID] = []
        var entries: [Int] = []  // raw topic numbers, member after member
        var memberEnds: [Int] = []
        var subscriberCounts: [Int] = []
        for member in spec.members {
            for topicId in member.subscribedTopicIds {
                if let t = seen[topicId] {
                    entries.append(t)
                    subscriberCounts[t] += 1
                } else if spec.topics[topicId] != nil {
                    seen[topicId] = seenIds.count
                    entries.append(seenIds.count)
                    seenIds.append(topicId)
                    subscriberCounts.append(1)
                }
            }
            memberEnds.append(entries.count)
        }
        // Subscriber lists are filled in a second pass with exact capacities: growing thousands of arrays while
        // scanning was the costliest part of large heterogeneous groups.
        var rawSubscribers = subscriberCounts.map { count -> [Int] in
            var list: [Int] = []
            list.reserveCapacity(count)
            return list
        }
        var start = 0
        for (memberIndex, end) in memberEnds.enumerated() {
            for e in start..<end { rawSubscribers[entries[e]].append(memberIndex) }
            start = end
        }
        let names = seenIds.map { spec.topics[$0]?.name ?? "" }
        let byName = seenIds.indices.sorted { a, b in
            if names[a] != names[b] { return names[a] < names[b] }
            let (x, y) = (seenIds[a], seenIds[b])
            return (x.mostSignificantBits, x.leastSignificantBits) < (y.mostSignificantBits, y.leastSignificantBits)
        }
        topicIds = byName.map { seenIds[$0] }
        subscribers = byName.map { rawSubscribers[$0] }  // members were visited in order: lists are ascending
        var index: [KafkaUUID: Int] = [:]
        for (i, topicId) in topicIds.enumerated() { index[topicId] = i }
        topicIndex = index
        partitionCounts = topicIds.map { max(0, Int(spec.topics[$0]?.partitionCount ?? 0)) }
        owner = partitionCounts.map { [Int](repeating: -1, count: $0) }
        load = [Int](repeating: 0, count: spec.members.count)
    }

    /// Every member subscribes to the same (existing) topics exactly when every topic is read by all members.
    var isHomogeneous: Bool { subscribers.allSatisfy { $0.count == members.count } }

    /// Takes ownership from the current assignments, dropping partitions of topics the member no longer subscribes
    /// to, partitions that no longer exist, and any partition an earlier member (in id order) already claimed.
    mutating func claimCurrentAssignments() {
        for (memberIndex, member) in members.enumerated() {
            for (topicId, partitions) in member.currentAssignment {
                guard let t = topicIndex[topicId], member.subscribedTopicIds.contains(topicId) else { continue }
                for partition in partitions {
                    let p = Int(partition)
                    guard p >= 0, p < partitionCounts[t], owner[t][p] < 0 else { continue }
                    owner[t][p] = memberIndex
                    load[memberIndex] += 1
                }
            }
        }
    }

    /// Quota-based assignment for groups whose members all subscribe to the same topics.
    mutating func assignHomogeneous() {
        let total = partitionCounts.reduce(0, +)
        let memberCount = members.count
        var quota = [Int](repeating: total / memberCount, count: memberCount)
        // The larger quotas go to the members holding the most, so they can keep what they have.
        let byLoad = (0..<memberCount).sorted { load[$0] != load[$1] ? load[$0] > load[$1] : $0 < $1 }
        for i in byLoad.prefix(total % memberCount) { quota[i] += 1 }

        var kept = [Int](repeating: 0, count: memberCount)
        var pool: [(topic: Int, partition: Int)] = []
        for t in topicIds.indices {
            for p in 0..<partitionCounts[t] {
                let w = owner[t][p]
                if w >= 0, kept[w] < quota[w] {
                    kept[w] += 1
                    continue
                }
                if w >= 0 { load[w] -= 1 }
                owner[t][p] = -1
                pool.append((t, p))
            }
        }
        // Quotas sum to the partition total, so the pool fills every member exactly.
        var next = 0
        for i in 0..<memberCount {
            while kept[i] < quota[i] {
                let slot = pool[next]
                next += 1
                owner[slot.topic][slot.partition] = i
                kept[i] += 1
                load[i] += 1
            }
        }
    }

    /// Per-topic water-filling, repeated over the topics until a full round changes nothing.
    mutating func assignHeterogeneous() {
        let topicCount = topicIds.count
        guard topicCount > 0 else { return }
        // Kafka's order: topics with the most partitions per subscriber first (compared without division), then
        // the fewest subscribers; the rest of the tie is topic name order.
        let order = topicIds.indices.sorted { a, b in
            let lhs = partitionCounts[a] * subscribers[b].count, rhs = partitionCounts[b] * subscribers[a].count
            if lhs != rhs { return lhs > rhs }
            if subscribers[a].count != subscribers[b].count { return subscribers[a].count < subscribers[b].count }
            return a < b
        }
        var owned = [Int](repeating: 0, count: members.count)
        var target = [Int](repeating: 0, count: members.count)
        var lastChange = -1
        var visit = 0
        while visit < topicCount * Self.maxRounds {
            if rebalanceTopic(order[visit % topicCount], owned: &owned, target: &target) { lastChange = visit }
            // A topic left unchanged already satisfies the balance condition, so a full round without change ends.
            if visit - lastChange >= topicCount { break }
            visit += 1
        }
    }

    /// Re-spreads one topic's partitions over its subscribers; returns whether any owner changed. `owned` and
    /// `target` are all-zero scratch arrays indexed by member, left all-zero on return.
    private mutating func rebalanceTopic(_ t: Int, owned: inout [Int], target: inout [Int]) -> Bool {
        let count = partitionCounts[t]
        let subs = subscribers[t]
        guard count > 0, !subs.isEmpty else { return false }
        defer { for m in subs { owned[m] = 0; target[m] = 0 } }

        var unassigned = 0
        for p in 0..<count {
            let w = owner[t][p]
            if w >= 0 { owned[w] += 1 } else { unassigned += 1 }
        }
        // Fast path (most visits once balanced): every partition is owned and no owner of this topic has 2 or more
        // partitions than the least-loaded subscriber, so nothing may move.
        if unassigned == 0 {
            var minLoad = Int.max, maxOwnerLoad = Int.min
            for m in subs {
                minLoad = min(minLoad, load[m])
                if owned[m] > 0 { maxOwnerLoad = max(maxOwnerLoad, load[m]) }
            }
            if maxOwnerLoad - minLoad <= 1 { return false }
        }

        // Water level: fill the subscribers with the least load from other topics up to a common level L; those
        // already above L get none of this topic. `extras` subscribers at the level get one more (to L + 1).
        var byBase = subs.map { (base: load[$0] - owned[$0], member: $0) }
        byBase.sort { $0 < $1 }
        var prefix = 0, level = 0, filled = 0
        for (k, entry) in byBase.enumerated() {
            prefix += entry.base
            let candidate = (count + prefix) / (k + 1)
            if k + 1 == byBase.count || candidate < byBase[k + 1].base {
                level = candidate
                filled = k + 1
                break
            }
        }
        var extras = count + prefix - level * filled
        for (base, m) in byBase.prefix(filled) { target[m] = level - base }
        // Extras go first to members already holding more than their base share: each such extra saves a move.
        for (_, m) in byBase.prefix(filled) where extras > 0 && owned[m] > target[m] {
            target[m] += 1
            extras -= 1
        }
        for (base, m) in byBase.prefix(filled) where extras > 0 && owned[m] <= level - base {
            target[m] += 1
            extras -= 1
        }

        // Keep each owner's lowest partitions up to its target; release the rest, then hand the pool out.
        for m in subs { owned[m] = 0 }
        var pool: [Int] = []
        for p in 0..<count {
            let w = owner[t][p]
            if w >= 0, owned[w] < target[w] {
                owned[w] += 1
                continue
            }
            if w >= 0 { load[w] -= 1 }
            owner[t][p] = -1
            pool.append(p)
        }
        var next = 0
        for m in subs {
            while owned[m] < target[m] {
                owner[t][pool[next]] = m
                next += 1
                owned[m] += 1
                load[m] += 1
            }
        }
        // A released partition never returns to its owner (it was at target), so a non-empty pool means a change.
        return !pool.isEmpty
    }

    func result() -> [String: TopicPartitionSet] {
        var perMember = [TopicPartitionSet](repeating: [:], count: members.count)
        for t in topicIds.indices {
            for p in 0..<partitionCounts[t] {
                let w = owner[t][p]
                if w >= 0 { perMember[w][topicIds[t], default: []].insert(Int32(p)) }
            }
        }
        var out = [String: TopicPartitionSet](minimumCapacity: members.count)
        for (i, member) in members.enumerated() { out[member.memberId] = perMember[i] }
        return out
    }
}
