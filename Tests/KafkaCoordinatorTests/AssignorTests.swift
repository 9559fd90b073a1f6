import Foundation
import KafkaCoordinator
import KafkaProtocol
import Testing

enum AssignorFixture {
    struct TP: Hashable { var topic: KafkaUUID; var partition: Int32 }

    static func topicId(_ i: Int) -> KafkaUUID {
        // Id order deliberately differs from name order.
        KafkaUUID(mostSignificantBits: UInt64(100 - i), leastSignificantBits: UInt64(i) &* 0x9E37_79B9)
    }

    static func member(_ id: String, _ topics: [KafkaUUID], instance: String? = nil) -> AssignmentSpec.Member {
        AssignmentSpec.Member(memberId: id, instanceId: instance, subscribedTopicIds: Set(topics))
    }

    static func topics(_ counts: [Int]) -> [KafkaUUID: AssignmentSpec.Topic] {
        var out: [KafkaUUID: AssignmentSpec.Topic] = [:]
        for (i, c) in counts.enumerated() { out[topicId(i)] = .init(name: "topic-\(i)", partitionCount: Int32(c)) }
        return out
    }

    /// Random group; with `messyCurrent`, current assignments include unsubscribed topics, partitions that do not
    /// exist and partitions claimed by several members.
    static func randomSpec(_ rng: inout SimRandom, homogeneous: Bool, messyCurrent: Bool,
                           members: ClosedRange<Int> = 1...12) -> AssignmentSpec {
        let topicTable = topics((0..<rng.int(1...6)).map { _ in rng.chance(10) ? 0 : rng.int(1...24) })
        let ids = Array(topicTable.keys)
        func subset() -> [KafkaUUID] { ids.filter { _ in rng.chance(50) } }
        let shared = subset()
        var names = Set<String>()
        let memberCount = rng.int(members)
        while names.count < memberCount { names.insert("member-\(rng.int(0...9999))") }
        let specMembers = names.sorted().map { name -> AssignmentSpec.Member in
            var m = member(name, homogeneous ? shared : subset())
            if messyCurrent {
                for t in ids where rng.chance(40) {
                    let count = Int(topicTable[t]!.partitionCount)
                    m.currentAssignment[t] = Set((0..<rng.int(0...4)).map { _ in Int32(rng.int(0...count + 1)) })
                }
            }
            return m
        }
        return AssignmentSpec(members: specMembers.shuffled(using: &rng), topics: topicTable)
    }

    /// Contract of `ConsumerGroupAssignor`, plus this package's normalization (no empty partition sets).
    static func violations(_ spec: AssignmentSpec, _ result: [String: TopicPartitionSet]) -> [String] {
        var problems: [String] = []
        if Set(result.keys) != Set(spec.members.map(\.memberId)) { problems.append("member set differs") }
        var owners: [TP: Int] = [:]
        for m in spec.members {
            for (topic, partitions) in result[m.memberId] ?? [:] {
                if !m.subscribedTopicIds.contains(topic) { problems.append("\(m.memberId) got unsubscribed \(topic)") }
                if partitions.isEmpty { problems.append("\(m.memberId) has an empty set for \(topic)") }
                let count = spec.topics[topic]?.partitionCount ?? 0
                for p in partitions {
                    if p < 0 || p >= count { problems.append("\(m.memberId) got nonexistent \(topic)-\(p)") }
                    owners[TP(topic: topic, partition: p), default: 0] += 1
                }
            }
        }
        for topic in Set(spec.members.flatMap(\.subscribedTopicIds)) {
            for p in 0..<(spec.topics[topic]?.partitionCount ?? 0) where owners[TP(topic: topic, partition: p)] != 1 {
                problems.append("\(topic)-\(p) has \(owners[TP(topic: topic, partition: p)] ?? 0) owners")
            }
        }
        return problems
    }

    static func load(_ a: TopicPartitionSet?) -> Int { (a ?? [:]).values.reduce(0) { $0 + $1.count } }

    static func withCurrent(_ spec: AssignmentSpec, _ assignment: [String: TopicPartitionSet]) -> AssignmentSpec {
        var copy = spec
        for i in copy.members.indices {
            copy.members[i].currentAssignment = assignment[copy.members[i].memberId] ?? [:]
        }
        return copy
    }

    /// The same assignments handed to randomly permuted members (valid for homogeneous groups): balanced starting
    /// points whose larger shares sit with arbitrary members, not only with those the assignor would pick.
    static func shuffledOwners(_ a: [String: TopicPartitionSet],
                               _ rng: inout SimRandom) -> [String: TopicPartitionSet] {
        let keys = a.keys.sorted()
        return Dictionary(uniqueKeysWithValues: zip(keys, keys.map { a[$0]! }.shuffled(using: &rng)))
    }

    /// A member subscribed to some topic has 2+ fewer partitions than a member owning a partition of that topic.
    static func localImbalance(_ spec: AssignmentSpec, _ result: [String: TopicPartitionSet]) -> String? {
        for owner in spec.members {
            for (topic, _) in result[owner.memberId] ?? [:] {
                for other in spec.members where other.subscribedTopicIds.contains(topic)
                    && load(result[owner.memberId]) - load(result[other.memberId]) >= 2 {
                    return "\(other.memberId) could take \(topic) from \(owner.memberId)"
                }
            }
        }
        return nil
    }
}

@Suite struct AssignorTests {
    typealias F = AssignorFixture
    let uniform = UniformAssignor()
    let range = RangeAssignor()

    @Test func namesAreKafkas() {
        #expect(uniform.name == "uniform")
        #expect(range.name == "range")
    }

    @Test func contractHoldsForRandomSpecs() {
        for seed in UInt64(0)..<400 {
            var rng = SimRandom(seed: seed)
            let spec = F.randomSpec(&rng, homogeneous: seed % 2 == 0, messyCurrent: seed % 3 != 0)
            for assignor in [uniform, range] as [any ConsumerGroupAssignor] {
                let problems = F.violations(spec, assignor.assign(spec))
                #expect(problems.isEmpty, "seed \(seed) \(assignor.name): \(problems.prefix(3))")
            }
        }
    }

    @Test func uniformHomogeneousIsBalanced() {
        for seed in UInt64(1000)..<1300 {
            var rng = SimRandom(seed: seed)
            let spec = F.randomSpec(&rng, homogeneous: true, messyCurrent: true)
            let loads = uniform.assign(spec).values.map { F.load($0) }
            #expect(loads.max()! - loads.min()! <= 1, "seed \(seed): loads \(loads)")
        }
    }

    @Test func uniformHeterogeneousIsBalancedAsSubscriptionsAllow() {
        for seed in UInt64(2000)..<2300 {
            var rng = SimRandom(seed: seed)
            let spec = F.randomSpec(&rng, homogeneous: false, messyCurrent: seed % 2 == 0, members: 1...20)
            let imbalance = F.localImbalance(spec, uniform.assign(spec))
            #expect(imbalance == nil, "seed \(seed): \(imbalance ?? "")")
        }
    }

    @Test func uniformKeepsItsOwnAssignment() {
        for seed in UInt64(3000)..<3200 {
            var rng = SimRandom(seed: seed)
            let spec = F.randomSpec(&rng, homogeneous: seed % 2 == 0, messyCurrent: true)
            let first = uniform.assign(spec)
            #expect(uniform.assign(F.withCurrent(spec, first)) == first, "seed \(seed)")
            if seed % 2 == 0 {  // any balanced homogeneous assignment is kept as it is
                let shuffled = F.shuffledOwners(first, &rng)
                #expect(uniform.assign(F.withCurrent(spec, shuffled)) == shuffled, "seed \(seed) shuffled")
            }
        }
    }

    @Test func uniformAddingAMemberMovesOnlyItsShare() {
        for seed in UInt64(4000)..<4200 {
            var rng = SimRandom(seed: seed)
            let spec = F.randomSpec(&rng, homogeneous: true, messyCurrent: false, members: 1...30)
            let before = F.shuffledOwners(uniform.assign(spec), &rng)
            let newcomer = F.member("member-new-\(rng.int(0...9999))", Array(spec.members[0].subscribedTopicIds))
            let grown = AssignmentSpec(members: F.withCurrent(spec, before).members + [newcomer], topics: spec.topics)
            let after = uniform.assign(grown)
            let total = spec.members[0].subscribedTopicIds.reduce(0) { $0 + Int(spec.topics[$1]!.partitionCount) }
            let limit = (total + spec.members.count) / (spec.members.count + 1)  // ceil(P / (N + 1))
            #expect(F.load(after[newcomer.memberId]) <= limit, "seed \(seed)")
            for m in spec.members {
                // Existing members only lose partitions (to the newcomer); nothing moves between them.
                for (topic, partitions) in after[m.memberId] ?? [:] {
                    #expect(partitions.isSubset(of: before[m.memberId]?[topic] ?? []), "seed \(seed) \(m.memberId)")
                }
            }
            let loads = after.values.map { F.load($0) }
            #expect(loads.max()! - loads.min()! <= 1, "seed \(seed): loads \(loads)")
        }
    }

    @Test func uniformRemovingAMemberMovesOnlyItsPartitions() {
        for seed in UInt64(5000)..<5200 {
            var rng = SimRandom(seed: seed)
            let spec = F.randomSpec(&rng, homogeneous: true, messyCurrent: false, members: 2...30)
            let before = F.shuffledOwners(uniform.assign(spec), &rng)
            var survivors = F.withCurrent(spec, before).members
            survivors.remove(at: rng.int(0...survivors.count - 1))
            let after = uniform.assign(AssignmentSpec(members: survivors, topics: spec.topics))
            for m in survivors {
                for (topic, partitions) in before[m.memberId] ?? [:] {
                    #expect(partitions.isSubset(of: after[m.memberId]?[topic] ?? []), "seed \(seed) \(m.memberId)")
                }
            }
        }
    }

    @Test func uniformHomogeneousExampleIsDeterministic() {
        let t = F.topicId(0)
        let spec = AssignmentSpec(members: ["c", "a", "b"].map { F.member($0, [t]) }, topics: F.topics([7]))
        #expect(uniform.assign(spec) == ["a": [t: [0, 1, 2]], "b": [t: [3, 4]], "c": [t: [5, 6]]])
    }

    @Test func uniformHeterogeneousExamples() {
        let (a, b) = (F.topicId(0), F.topicId(1))
        // The lone reader of b takes all of it; a is spread so that every member ends with 3.
        let lone = AssignmentSpec(members: ["m1", "m2"].map { F.member($0, [a]) } + [F.member("m3", [a, b])],
                                  topics: F.topics([6, 3]))
        #expect(uniform.assign(lone) == ["m1": [a: [0, 1, 2]], "m2": [a: [3, 4, 5]], "m3": [b: [0, 1, 2]]])
        // A member stuck with a topic nobody else reads gets none of the shared one.
        let stuck = AssignmentSpec(members: [F.member("x", [a, b]), F.member("y", [b])], topics: F.topics([10, 4]))
        #expect(uniform.assign(stuck) == ["x": [a: Set(0..<10)], "y": [b: [0, 1, 2, 3]]])
        // A joiner (sorted first) takes one partition from the member holding 3; the member holding 2 keeps both.
        let current: [String: TopicPartitionSet] = ["w": [b: [0, 1]], "x": [a: [0, 1, 2]], "y": [a: [3, 4]]]
        let joined = AssignmentSpec(members: F.withCurrent(AssignmentSpec(members: [
            F.member("w", [b]), F.member("x", [a]), F.member("y", [a])], topics: [:]), current).members
            + [F.member("a-new", [a])], topics: F.topics([5, 2]))
        #expect(uniform.assign(joined) == current.merging(["a-new": [a: [2]], "x": [a: [0, 1]]]) { $1 })
        // Chained subscriptions: like Kafka, no single move helps, so 3/4/5 is accepted (4/4/4 would need a chain
        // of moves); either way no member may be 2 below an owner of a topic it reads.
        let chain = AssignmentSpec(members: [F.member("m1", [a]), F.member("m2", [a, b]), F.member("m3", [b])],
                                   topics: F.topics([6, 6]))
        let result = uniform.assign(chain)
        #expect(F.localImbalance(chain, result) == nil, "\(result)")
        #expect([[3, 4, 5], [4, 4, 4]].contains(result.values.map { F.load($0) }.sorted()), "\(result)")
    }

    @Test func rangeGivesContiguousRangesInMemberIdOrder() {
        let (t0, t1) = (F.topicId(0), F.topicId(1))
        let spec = AssignmentSpec(members: [F.member("c", [t0, t1]), F.member("a", [t0]), F.member("b", [t0, t1])],
                                  topics: F.topics([10, 3]))
        #expect(range.assign(spec) == [
            "a": [t0: [0, 1, 2, 3]], "b": [t0: [4, 5, 6], t1: [0, 1]], "c": [t0: [7, 8, 9], t1: [2]],
        ])
    }

    @Test func rangeRandomSpecsAreRangesAndCoPartitioned() {
        for seed in UInt64(6000)..<6300 {
            var rng = SimRandom(seed: seed)
            let spec = F.randomSpec(&rng, homogeneous: seed % 2 == 0, messyCurrent: true)
            let result = range.assign(spec)
            for (topic, info) in spec.topics {
                let subscribers = spec.members.filter { $0.subscribedTopicIds.contains(topic) }.map(\.memberId)
                guard !subscribers.isEmpty else { continue }
                let count = Int(info.partitionCount), n = subscribers.count
                var start = 0
                for (i, member) in subscribers.enumerated() {
                    let length = min(count / n + (i < count % n ? 1 : 0), count - start)
                    let expected = Set((start..<start + length).map { Int32($0) })
                    #expect((result[member]?[topic] ?? []) == expected, "seed \(seed) \(member) \(info.name)")
                    start += length
                }
            }
            // Topics with equal partition counts and subscribers line up partition by partition.
            for m in spec.members {
                for x in m.subscribedTopicIds {
                    for y in m.subscribedTopicIds where spec.topics[x]!.partitionCount == spec.topics[y]!.partitionCount
                        && spec.members.allSatisfy({
                            $0.subscribedTopicIds.contains(x) == $0.subscribedTopicIds.contains(y)
                        }) {
                        #expect(result[m.memberId]?[x] == result[m.memberId]?[y], "seed \(seed) \(m.memberId)")
                    }
                }
            }
        }
    }

    @Test func rangeOrdersStaticMembersFirstByInstanceId() {
        let t = F.topicId(0)
        let spec = AssignmentSpec(members: [F.member("a", [t], instance: "z"), F.member("b", [t]),
                                           F.member("c", [t], instance: "y")], topics: F.topics([3]))
        #expect(range.assign(spec) == ["c": [t: [0]], "a": [t: [1]], "b": [t: [2]]])
    }

    /// Timing probe, off by default: `ASSIGNOR_BENCH=1 swift test -c release --filter AssignorTests`.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["ASSIGNOR_BENCH"] != nil))
    func largeGroupTiming() {
        let topicCount = 100
        let table = F.topics(Array(repeating: 100, count: topicCount))
        let ids = (0..<topicCount).map(F.topicId)
        var rng = SimRandom(seed: 42)
        for homogeneous in [true, false] {
            let members = (0..<1000).map { i in
                F.member(String(format: "member-%04d", i), homogeneous ? ids : ids.filter { _ in rng.chance(30) })
            }
            let spec = AssignmentSpec(members: members, topics: table)
            let clock = ContinuousClock()
            var result: [String: TopicPartitionSet] = [:]
            let fresh = clock.measure { result = uniform.assign(spec) }
            let again = clock.measure { result = uniform.assign(F.withCurrent(spec, result)) }
            var grown = F.withCurrent(spec, result)
            grown.members.append(F.member("member-new", homogeneous ? ids : Array(ids.prefix(30))))
            let join = clock.measure { result = uniform.assign(grown) }
            let rangeTime = clock.measure { _ = range.assign(spec) }
            print("1000 members x 10000 partitions, homogeneous=\(homogeneous): uniform fresh \(fresh), "
                  + "unchanged \(again), one join \(join); range \(rangeTime)")
            #expect(F.violations(grown, result).isEmpty)
        }
    }
}
