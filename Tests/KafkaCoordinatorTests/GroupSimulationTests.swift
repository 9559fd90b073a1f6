import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaCoordinator

/// Deterministic PRNG for the simulation (SplitMix64).

/// One simulated consumer, speaking the classic protocol with an eager range-like assignor.
struct SimMember {
    enum Phase: Equatable {
        case idle
        case joining(UInt64)
        case syncing(UInt64)
        case stable
    }
    var name: String
    var joinVersion: Int16
    var memberId = ""
    var generation: Int32 = -1
    var phase = Phase.idle
    var owned: [Int32] = []
    /// Next offset to commit per owned partition (starts from the committed offset when assigned).
    var position: [Int32: Int64] = [:]
    var crashed = false
    var pausedUntilStep = 0
}

/// Partitions of the single subscribed topic.
let simPartitions: [Int32] = Array(0..<6)

/// The assignor the leader runs: sorted member ids get contiguous ranges of the partitions.
func rangeAssign(_ memberIds: [String]) -> [String: ByteBuffer] {
    let sorted = memberIds.sorted()
    var out: [String: ByteBuffer] = [:]
    let per = simPartitions.count / max(sorted.count, 1)
    let extra = simPartitions.count % max(sorted.count, 1)
    var next = 0
    for (i, m) in sorted.enumerated() {
        let n = per + (i < extra ? 1 : 0)
        out[m] = ByteBuffer(bytes: simPartitions[next..<next + n].map { UInt8($0) })
        next += n
    }
    return out
}

func decodeAssignment(_ b: ByteBuffer) -> [Int32] { b.readableBytesView.map { Int32($0) } }

struct GroupSimulation {
    let seed: UInt64
    var rng: SimRandom
    var h: Harness
    var members: [SimMember] = []
    var step = 0
    /// Partition -> member per generation, from SyncGroup answers.
    var givenByGeneration: [Int32: [Int32: String]] = [:]
    var lastCommitted: [Int32: Int64] = [:]
    var failure: String?
    var stats: [String: Int] = [:]

    init(seed: UInt64) {
        self.seed = seed
        rng = SimRandom(state: seed)
        h = Harness(seed: seed)
        let n = Int.random(in: 2...6, using: &rng)
        for i in 0..<n { addMember(i) }
    }

    mutating func addMember(_ i: Int) {
        members.append(SimMember(name: "c\(i)", joinVersion: Int16.random(in: 3...9, using: &rng)))
    }

    mutating func fail(_ message: String) {
        if failure == nil { failure = "seed \(seed) step \(step): \(message)" }
    }

    // MARK: member behaviour

    mutating func act(_ i: Int) {
        var m = members[i]
        guard !m.crashed, m.pausedUntilStep <= step else { return }
        switch m.phase {
        case .idle:
            m.phase = .joining(h.join(member: m.memberId, version: m.joinVersion, session: 10_000, rebalance: 20_000, clientId: m.name))
        case .joining(let id):
            guard let r = h.joinReply(id) else { break }
            stats["join-\(r.errorCode)", default: 0] += 1
            if r.errorCode == KafkaError.memberIdRequired.rawValue {
                m.memberId = r.memberId
                m.phase = .joining(h.join(member: m.memberId, version: m.joinVersion, session: 10_000, rebalance: 20_000, clientId: m.name))
            } else if r.errorCode == 0 {
                m.memberId = r.memberId
                m.generation = r.generationId
                let assignments = r.leader == r.memberId ? rangeAssign(r.members.map(\.memberId)) : [:]
                m.phase = .syncing(h.sync(member: m.memberId, generation: m.generation, assignments: assignments, version: 3))
            } else {
                if r.errorCode == KafkaError.unknownMemberId.rawValue { m.memberId = "" }
                m.phase = .idle
            }
        case .syncing(let id):
            guard let r = h.syncReply(id) else { break }
            stats["sync-\(r.errorCode)", default: 0] += 1
            if r.errorCode == 0 {
                m.owned = decodeAssignment(r.assignment)
                for p in m.owned {
                    if let other = givenByGeneration[m.generation]?[p], other != m.memberId {
                        fail("partition \(p) given to \(other) and \(m.memberId) in generation \(m.generation)")
                    }
                    givenByGeneration[m.generation, default: [:]][p] = m.memberId
                }
                let committed = h.fetch(topics: [("t", m.owned)])["t"] ?? [:]
                m.position = Dictionary(uniqueKeysWithValues: m.owned.map { ($0, max(0, committed[$0]?.0 ?? 0)) })
                m.phase = .stable
            } else {
                if r.errorCode == KafkaError.unknownMemberId.rawValue { m.memberId = "" }
                m.phase = .idle
            }
        case .stable:
            if Bool.random(using: &rng) {
                let e = h.heartbeat(member: m.memberId, generation: m.generation)
                stats["hb-\(e)", default: 0] += 1
                if e == KafkaError.rebalanceInProgress.rawValue {
                    commit(&m)  // eager protocol: commit, revoke everything, rejoin
                    revoke(&m)
                } else if e != 0 {
                    revoke(&m)
                    if e == KafkaError.unknownMemberId.rawValue { m.memberId = "" }
                }
            } else {
                commit(&m)
            }
        }
        members[i] = m
    }

    mutating func revoke(_ m: inout SimMember) {
        m.owned = []
        m.position = [:]
        m.phase = .idle
    }

    /// Commits position + progress for every owned partition; positions only grow.
    mutating func commit(_ m: inout SimMember) {
        guard !m.owned.isEmpty else { return }
        var batch: [(String, Int32, Int64)] = []
        for p in m.owned {
            m.position[p, default: 0] += Int64.random(in: 1...50, using: &rng)
            batch.append(("t", p, m.position[p]!))
        }
        let errors = h.commit(member: m.memberId, generation: m.generation, offsets: batch, version: Int16.random(in: 2...9, using: &rng))
        stats["commit-\(errors.first ?? 0)", default: 0] += 1
        if let e = errors.first, e != 0 {
            if e == KafkaError.rebalanceInProgress.rawValue { return }
            revoke(&m)
            if e == KafkaError.unknownMemberId.rawValue { m.memberId = "" }
        }
    }

    mutating func leave(_ i: Int) {
        guard !members[i].crashed, !members[i].memberId.isEmpty, members[i].pausedUntilStep <= step else { return }
        var m = members[i]
        commit(&m)
        _ = h.leave(members: [(m.memberId, nil)], version: Int16.random(in: 0...5, using: &rng))
        m.memberId = ""
        revoke(&m)
        members[i] = m
    }

    // MARK: invariants

    mutating func checkInvariants() {
        // The coordinator's own view: a Stable group's stored assignment covers each partition exactly once.
        if let g = h.shard.groups["g"], g.state == .stable {
            var owners: [Int32: Int] = [:]
            for member in g.members { for p in decodeAssignment(member.assignment) { owners[p, default: 0] += 1 } }
            if owners.keys.sorted() != simPartitions || owners.values.contains(where: { $0 != 1 }) {
                fail("Stable group generation \(g.generationId) owners \(owners.sorted { $0.key < $1.key })")
            }
        }
        // Members that believe they own partitions in the same generation never overlap.
        var seen: [Int32: [Int32: String]] = [:]
        for m in members where !m.crashed && m.phase == .stable {
            for p in m.owned {
                if let other = seen[m.generation]?[p] { fail("\(other) and \(m.memberId) both own \(p) in generation \(m.generation)") }
                seen[m.generation, default: [:]][p] = m.memberId
            }
        }
        // Committed offsets never go backwards.
        for p in simPartitions {
            guard let now = h.shard.committedOffset(group: "g", topic: "t", partition: p)?.offset else { continue }
            if let before = lastCommitted[p], now < before { fail("partition \(p) committed offset went back from \(before) to \(now)") }
            lastCommitted[p] = now
        }
        // Replaying the log rebuilds the offsets exactly.
        if step % 50 == 0 {
            let fresh = reload(h)
            if fresh.offsets != h.shard.offsets { fail("replayed offsets differ") }
            if let g = h.shard.groups["g"], g.state == .stable, let loaded = fresh.groups["g"], PersistedGroup(loaded) != PersistedGroup(g) {
                fail("replayed group differs")
            }
        }
    }

    // MARK: driver

    mutating func run(steps: Int) {
        for s in 0..<steps {
            step = s
            let roll = Int.random(in: 0..<100, using: &rng)
            let i = Int.random(in: 0..<members.count, using: &rng)
            switch roll {
            case 0..<25: h.advance(by: Int64.random(in: 50...1_500, using: &rng))
            case 25..<88: act(i)
            case 88..<91: leave(i)
            case 91..<93:
                members[i].crashed = true
                stats["crash", default: 0] += 1
            case 93..<96:
                members[i].pausedUntilStep = s + Int.random(in: 5...40, using: &rng)
                stats["pause", default: 0] += 1
            default:
                // Restart a crashed member as a new process (no member id), or add one up to six.
                if let c = members.firstIndex(where: \.crashed) {
                    members[c] = SimMember(name: members[c].name, joinVersion: members[c].joinVersion)
                } else if members.count < 6 {
                    addMember(members.count)
                }
            }
            checkInvariants()
            if failure != nil { return }
        }
        // Calm phase: nobody crashes or pauses; everyone alive converges to one Stable generation.
        for i in members.indices { members[i].pausedUntilStep = 0 }
        var calm = 0
        while calm < 400 {
            step += 1
            calm += 1
            for i in members.indices { act(i) }
            h.advance(by: 300)
            checkInvariants()
            if failure != nil { return }
            let live = members.filter { !$0.crashed }
            if let g = h.shard.groups["g"], g.state == .stable, !live.isEmpty,
                live.allSatisfy({ $0.phase == .stable && $0.generation == g.generationId }),
                Set(g.members.map(\.memberId)) == Set(live.map(\.memberId))
            {
                // And the members' own view agrees: every partition has exactly one owner.
                let owned = live.flatMap(\.owned).sorted()
                if owned != simPartitions { fail("stable group but members own \(owned)") }
                stats["calm-steps"] = calm
                return
            }
            if live.isEmpty { return }
        }
        fail("no stable generation after the calm phase: \(h.shard.groups["g"].map { "\($0.state) gen \($0.generationId) members \($0.members.count)" } ?? "no group"), members \(members.map { "\($0.phase)" })")
    }
}

@Suite struct GroupSimulationTests {
    static let seeds: [UInt64] = Array(1...32)

    @Test(arguments: seeds)
    func simulatedGroup(seed: UInt64) {
        var sim = GroupSimulation(seed: seed)
        sim.run(steps: 500)
        if let failure = sim.failure {
            Issue.record("\(failure)  (rerun: swift test --filter 'simulatedGroup' with seed \(seed))")
        }
        print("simulation seed \(seed): \(sim.members.count) members, \(sim.step) steps, generation \(sim.h.shard.groups["g"]?.generationId ?? -1), \(sim.stats.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        #expect((sim.stats["sync-0"] ?? 0) > 0, "seed \(seed): the group never completed a rebalance")
    }
}
