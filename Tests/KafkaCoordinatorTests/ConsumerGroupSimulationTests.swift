import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaCoordinator

/// A KIP-848 consumer as the simulation plays it: what it believes it owns, its epoch, its read positions.
private struct SimConsumer {
    var memberId: String
    var epoch: Int32 = 0
    var owned: TopicPartitionSet = [:]
    var joined = false
    /// Crashed: never heartbeats again. Paused: stops for a while (may be fenced meanwhile, then is a zombie).
    var crashed = false
    var pausedUntil: Int64 = 0
    /// Next offset to commit per partition it owns.
    var position: [TopicIdPartition: Int64] = [:]
    var ownedChanged = true
    /// Speaks the classic protocol (JoinGroup/SyncGroup/Heartbeat, eager) inside the consumer group.
    var classic = false
}

/// Members joining, heartbeating, leaving, crashing, pausing and committing against one consumer group shard, with
/// topics growing and subscriptions changing; checks after every step (see `checkInvariants`).
private struct ConsumerGroupSimulation {
    let seed: UInt64
    var rng: SimRandom
    var h: Harness
    var consumers: [SimConsumer] = []
    var topicSizes: [String: Int32] = ["t": 8, "u": 4]
    var committed: [TopicIdPartition: Int64] = [:]
    var failure: String?
    var step = 0
    var stats: [String: Int] = [:]

    init(seed: UInt64) {
        self.seed = seed
        rng = SimRandom(seed: seed)
        // Downgrade (the group turning classic when its last consumer-protocol member leaves) is covered by
        // ConsumerGroupMigrationTests; here the group stays a consumer group.
        var config = GroupCoordinatorConfig()
        config.consumerMigrationDowngrade = false
        h = Harness(config: config, seed: seed)
        h.setTopics(topicSizes)
    }

    mutating func fail(_ message: String) {
        if failure == nil { failure = "seed \(seed) step \(step): \(message)" }
    }

    func subscription(_ i: Int) -> [String] { i % 3 == 2 ? ["t", "u"] : ["t"] }

    /// Takes a new assignment: reading resumes where the group committed for partitions new to the member.
    private mutating func take(_ assigned: TopicPartitionSet, into c: inout SimConsumer) {
        if assigned != c.owned { c.ownedChanged = true }
        for (t, ps) in assigned {
            for p in ps where c.owned[t]?.contains(p) != true {
                c.position[TopicIdPartition(t, p)] = committed[TopicIdPartition(t, p)] ?? 0
            }
        }
        c.position = c.position.filter { assigned[$0.key.topicId]?.contains($0.key.partition) == true }
        c.owned = assigned
    }

    /// An eager classic member: on REBALANCE_IN_PROGRESS it gives up everything, rejoins and syncs.
    mutating func classicHeartbeat(_ i: Int) {
        var c = consumers[i]
        // Classic members join the consumer group, not an empty one (that would become a classic group, which
        // GroupSimulationTests covers).
        if c.joined {
            let code = h.heartbeat(member: c.memberId, generation: c.epoch)
            stats["classic-heartbeat-\(code)", default: 0] += 1
            if code == 0 { return }
            take([:], into: &c)
            if code != KafkaError.rebalanceInProgress.rawValue {
                c.joined = false
                c.memberId = ""
            }
        }
        if h.shard.consumerGroups["g"]?.members.isEmpty ?? true {
            consumers[i] = c
            return
        }
        var id = c.memberId
        for _ in 0..<2 {
            let rid = h.join(member: id, version: 5, protocols: [("range", KafkaCoordinatorTests.subscription(subscription(i)))])
            guard let r = h.joinReply(rid) else { return fail("no JoinGroup reply") }
            if r.errorCode == KafkaError.memberIdRequired.rawValue { id = r.memberId; continue }
            stats["classic-join-\(r.errorCode)", default: 0] += 1
            guard r.errorCode == 0 else {
                c.memberId = ""
                c.joined = false
                consumers[i] = c
                return
            }
            c.memberId = r.memberId
            c.epoch = r.generationId
            let sid = h.sync(member: c.memberId, generation: c.epoch)
            guard let sr = h.syncReply(sid), sr.errorCode == 0 else { break }
            var bytes = sr.assignment
            var assigned: TopicPartitionSet = [:]
            if let v: Int16 = bytes.readInteger(endianness: .big), let a = try? ConsumerProtocolAssignment(from: &bytes, version: v) {
                for tp in a.assignedPartitions where !tp.partitions.isEmpty { assigned[topicId(tp.topic), default: []].formUnion(tp.partitions) }
            }
            take(assigned, into: &c)
            c.joined = true
            break
        }
        consumers[i] = c
    }

    mutating func heartbeat(_ i: Int) {
        guard !consumers[i].crashed, h.now >= consumers[i].pausedUntil else { return }
        if consumers[i].classic { return classicHeartbeat(i) }
        var c = consumers[i]
        let joining = !c.joined
        // Like real clients: the subscription on (re)join, owned partitions when they changed (sometimes anyway).
        let reportOwned = joining || c.ownedChanged || rng.below(4) == 0
        let r = h.cgHeartbeat(member: c.memberId, epoch: joining ? 0 : c.epoch, topics: joining ? subscription(i) : nil,
                              owned: reportOwned && !joining ? c.owned : nil, rebalanceTimeout: 10_000)
        stats["heartbeat-\(r.errorCode)", default: 0] += 1
        if r.errorCode == KafkaError.fencedMemberEpoch.rawValue || r.errorCode == KafkaError.unknownMemberId.rawValue {
            // Fenced: everything is lost; rejoin with epoch 0.
            c.owned = [:]
            c.position = [:]
            c.joined = false
            c.epoch = 0
        } else if r.errorCode != 0 {
            fail("heartbeat error \(r.errorCode) \(r.errorMessage ?? "")")
        } else {
            c.joined = true
            c.epoch = r.memberEpoch
            c.ownedChanged = false
            if let assigned = r.assigned { take(assigned, into: &c) }
        }
        consumers[i] = c
    }

    mutating func commit(_ i: Int) {
        var c = consumers[i]
        guard !c.crashed, c.joined, !c.position.isEmpty else { return }
        var offsets: [(String, Int32, Int64)] = []
        let names = Dictionary(uniqueKeysWithValues: topicSizes.keys.map { (topicId($0), $0) })
        for (tp, pos) in c.position.sorted(by: { ($0.key.partition, "\($0.key.topicId)") < ($1.key.partition, "\($1.key.topicId)") }) {
            let next = pos + Int64(1 + rng.below(5))
            c.position[tp] = next
            offsets.append((names[tp.topicId]!, tp.partition, next))
        }
        let codes = h.commit(member: c.memberId, generation: c.epoch, offsets: offsets, version: c.classic ? 7 : 9)
        stats["commit-\(codes.first ?? -1)", default: 0] += 1
        if codes.allSatisfy({ $0 == 0 }) {
            for (name, p, o) in offsets {
                let tp = TopicIdPartition(topicId(name), p)
                if let before = committed[tp], o < before {
                    fail("committed offset of \(name)-\(p) went back from \(before) to \(o) (member \(c.memberId) epoch \(c.epoch))")
                }
                committed[tp] = o
            }
        }
        consumers[i] = c
    }

    mutating func act() {
        let roll = rng.below(100)
        if consumers.filter({ !$0.crashed }).count < 2 || (roll < 6 && consumers.count < 12) {
            var joiner = SimConsumer(memberId: "m\(consumers.count)")
            // Some members speak the classic protocol inside the consumer group (KIP-848 migration); never the
            // first, so the group is a consumer group.
            joiner.classic = !consumers.isEmpty && rng.chance(30)
            if joiner.classic { joiner.memberId = "" }
            consumers.append(joiner)
            stats["join", default: 0] += 1
            heartbeat(consumers.count - 1)
            return
        }
        let i = rng.below(consumers.count)
        switch roll {
        case 6..<60: heartbeat(i)
        case 60..<80: commit(i)
        case 80..<83:
            if !consumers[i].crashed, consumers[i].joined {
                if consumers[i].classic {
                    _ = h.leave(members: [(consumers[i].memberId, nil)])
                    consumers[i] = SimConsumer(memberId: "")
                    consumers[i].classic = true
                } else {
                    _ = h.cgHeartbeat(member: consumers[i].memberId, epoch: -1)
                    consumers[i] = SimConsumer(memberId: consumers[i].memberId + "r")
                }
                stats["leave", default: 0] += 1
            }
        case 83..<85:
            // One consumer-protocol member always survives, so the group stays a consumer group.
            let survivors = consumers.indices.filter { !consumers[$0].crashed && !consumers[$0].classic }
            if consumers[i].classic || survivors != [i] {
                consumers[i].crashed = true
                stats["crash", default: 0] += 1
            }
        case 85..<88:
            consumers[i].pausedUntil = h.now + Int64(rng.below(60_000))
            stats["pause", default: 0] += 1
        case 88..<89:
            let topic = rng.below(2) == 0 ? "t" : "u"
            if topicSizes[topic]! < 16 {
                topicSizes[topic]! += 1
                h.setTopics(topicSizes)
                stats["grow", default: 0] += 1
            }
        default:
            h.advance(by: Int64(rng.below(3_000)))
        }
    }

    /// No partition has two owners among the members the coordinator knows; no live member believes it owns a
    /// partition the coordinator gave to another member at the same time.
    mutating func checkInvariants() {
        guard let g = h.shard.consumerGroups["g"] else { return }
        var owner: [TopicIdPartition: String] = [:]
        for m in g.members.values {
            for (t, ps) in m.assignedPartitions.union(m.partitionsPendingRevocation) {
                for p in ps {
                    if let other = owner.updateValue(m.memberId, forKey: TopicIdPartition(t, p)) {
                        fail("partition \(p) owned by \(other) and \(m.memberId) in the coordinator")
                    }
                }
            }
        }
        var believed: [TopicIdPartition: String] = [:]
        for c in consumers where !c.crashed && h.now >= c.pausedUntil && g.members[c.memberId] != nil {
            for (t, ps) in c.owned {
                for p in ps {
                    if let other = believed.updateValue(c.memberId, forKey: TopicIdPartition(t, p)) {
                        fail("partition \(p) consumed by \(other) and \(c.memberId) at once")
                    }
                }
            }
        }
    }

    mutating func checkReplay() {
        var fresh = GroupCoordinatorShard(memberIds: MemberIdGenerator(seed: 1))
        for (k, v) in h.log { fresh.replay(try! CoordinatorRecord(key: k, value: v)) }
        if fresh.consumerGroups != h.shard.consumerGroups { fail("replaying the log gives a different group") }
    }

    mutating func run(steps: Int) {
        for s in 0..<steps where failure == nil {
            step = s
            act()
            checkInvariants()
            if s % 50 == 49 { checkReplay() }
        }
        // Calm: everyone alive heartbeats until the group is stable; then every partition has exactly one owner.
        for i in consumers.indices { consumers[i].pausedUntil = 0 }
        for _ in 0..<40 where failure == nil {
            h.advance(by: 1_000)
            for i in consumers.indices { heartbeat(i) }
            checkInvariants()
        }
        h.advance(by: 60_000)  // crashed members' sessions expire
        for _ in 0..<20 where failure == nil {
            for i in consumers.indices { heartbeat(i) }
            h.advance(by: 100)
        }
        guard failure == nil, let g = h.shard.consumerGroups["g"] else { return }
        if g.state != .stable { return fail("not stable after the calm phase: \(g.state)") }
        var owners: [TopicIdPartition: Int] = [:]
        for c in consumers where !c.crashed {
            for (t, ps) in c.owned { for p in ps { owners[TopicIdPartition(t, p), default: 0] += 1 } }
        }
        for (name, size) in topicSizes where consumers.enumerated().contains(where: { !$0.element.crashed && subscription($0.offset).contains(name) }) {
            for p in 0..<size where owners[TopicIdPartition(topicId(name), p)] != 1 {
                fail("\(name)-\(p) has \(owners[TopicIdPartition(topicId(name), p)] ?? 0) owners when stable")
            }
        }
        checkReplay()
    }
}

@Suite struct ConsumerGroupSimulationTests {
    static let seeds: [UInt64] = Array(1...32)

    @Test(arguments: seeds)
    func simulatedConsumerGroup(seed: UInt64) {
        var sim = ConsumerGroupSimulation(seed: seed)
        sim.run(steps: 600)
        if let failure = sim.failure {
            Issue.record("\(failure)  (rerun: swift test --filter 'simulatedConsumerGroup' with seed \(seed))")
        }
        let g = sim.h.shard.consumerGroups["g"]
        print("KIP-848 simulation seed \(seed): \(sim.consumers.count) consumers, group epoch \(g?.groupEpoch ?? -1), \(sim.stats.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        #expect((sim.stats["commit-0"] ?? 0) > 0, "seed \(seed): no commit was ever accepted")
    }
}
