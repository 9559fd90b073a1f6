import Foundation
import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaCoordinator

/// What a replay must reproduce of a group: persisted fields only (held requests and protocol lists beyond the
/// selected one live in memory).
struct PersistedGroup: Equatable {
    var state: ClassicGroupState
    var generation: Int32
    var protocolType: String?
    var protocolName: String?
    var leader: String?
    var members: [String]

    init(_ g: ClassicGroup) {
        state = g.state
        generation = g.generationId
        protocolType = g.protocolType
        protocolName = g.protocolName
        leader = g.leaderId
        members = g.members.map {
            "\($0.memberId)|\($0.groupInstanceId ?? "-")|\($0.clientId)|\($0.clientHost)|\($0.sessionTimeoutMs)|\($0.rebalanceTimeoutMs)|"
                + "\(Array($0.metadata(for: g.protocolName).readableBytesView))|\(Array($0.assignment.readableBytesView))"
        }
    }
}

/// Replays a harness's log into a fresh shard.
func reload(_ h: Harness) -> GroupCoordinatorShard {
    var fresh = GroupCoordinatorShard(config: h.shard.config, memberIds: MemberIdGenerator(seed: 7))
    for (key, value) in h.log { fresh.replay(try! CoordinatorRecord(key: key, value: value)) }
    return fresh
}

func expectSameState(_ h: Harness, _ fresh: GroupCoordinatorShard, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(fresh.offsets == h.shard.offsets, sourceLocation: sourceLocation)
    // Groups settled in memory (Stable or Empty) must match what was persisted.
    for (id, g) in h.shard.groups where g.state == .stable || (g.state == .empty && g.members.isEmpty) {
        guard let loaded = fresh.groups[id] else {
            Issue.record("group \(id) missing after replay", sourceLocation: sourceLocation)
            continue
        }
        #expect(PersistedGroup(loaded) == PersistedGroup(g), sourceLocation: sourceLocation)
    }
    for id in fresh.groups.keys { #expect(h.shard.groups[id] != nil, "group \(id) resurrected", sourceLocation: sourceLocation) }
}

@Suite struct ReplayTests {
    @Test func stableGroupAndOffsetsReplay() {
        var (h, m1, _, gen) = stableGroup()
        _ = h.commit(member: m1, generation: gen, offsets: [("t", 0, 5), ("t", 1, 6)], metadata: "md", leaderEpoch: 2)
        _ = h.commit("simple", offsets: [("u", 3, 30)], version: 3, retention: 99_000)
        expectSameState(h, reload(h))
        let fresh = reload(h)
        #expect(fresh.groups["g"]?.state == .stable)
        #expect(fresh.groups["simple"]?.state == .empty)
        #expect(fresh.committedOffset(group: "simple", topic: "u", partition: 3)?.expireTimestamp == h.now + 99_000)
    }

    @Test func emptyAndDeletedGroupsReplay() {
        var (h, m1, m2, _) = stableGroup()
        _ = h.leave(members: [(m1, nil), (m2, nil)])
        expectSameState(h, reload(h))
        #expect(reload(h).groups["g"]?.state == .empty)
        var r = DeleteGroupsRequest()
        r.groupsNames = ["g"]
        _ = h.send({ .deleteGroups($0, r) }, version: 2)
        #expect(reload(h).groups["g"] == nil)
    }

    @Test func staticReplacementReplays() {
        var h = Harness()
        let (_, j1) = h.joinNew(instance: "i1")
        h.advance(by: 6_000)
        let r1 = h.joinReply(j1)!
        _ = h.take(h.sync(member: r1.memberId, generation: r1.generationId, instance: "i1", assignments: [r1.memberId: bytes("z")]))
        _ = h.joinReply(h.join(instance: "i1"))
        expectSameState(h, reload(h))
    }

    @Test func loadedMembersGetSessionTimers() {
        let (h, m1, m2, _) = stableGroup()
        var fresh = reload(h)
        let result = fresh.onLoaded(now: 1_000)
        #expect(result.timers.contains(.schedule(.heartbeat(group: "g", member: m1), deadline: 11_000)))
        #expect(result.timers.contains(.schedule(.heartbeat(group: "g", member: m2), deadline: 11_000)))
        // Silent members of a loaded group expire.
        let expired = fresh.handle(.timerFired(.heartbeat(group: "g", member: m1)), now: 11_000)
        #expect(fresh.groups["g"]?.state == .preparingRebalance)
        #expect(expired.timers.contains(.schedule(.join(group: "g"), deadline: 11_000 + 30_000)))
    }
}
