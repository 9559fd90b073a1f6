import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaCoordinator

/// A stable two-member group: (harness, leader, follower, generation).
func stableGroup(session: Int32 = 10_000, rebalance: Int32 = 30_000) -> (Harness, String, String, Int32) {
    var h = Harness()
    let (m1, j1) = h.joinNew(session: session, rebalance: rebalance)
    let (m2, j2) = h.joinNew(session: session, rebalance: rebalance)
    h.advance(by: 6_000)
    let gen = h.joinReply(j1)!.generationId
    _ = h.joinReply(j2)
    _ = h.take(h.sync(member: m2, generation: gen))
    _ = h.take(h.sync(member: m1, generation: gen, assignments: [m1: bytes("a1"), m2: bytes("a2")]))
    return (h, m1, m2, gen)
}

@Suite struct HeartbeatLeaveTests {
    @Test func heartbeatErrors() {
        var (h, m1, _, gen) = stableGroup()
        #expect(h.heartbeat(member: m1, generation: gen) == 0)
        #expect(h.heartbeat(member: m1, generation: gen - 1) == code(.illegalGeneration))
        #expect(h.heartbeat(member: "x", generation: gen) == code(.unknownMemberId))
        #expect(h.heartbeat("nope", member: m1, generation: gen) == code(.unknownMemberId))
        #expect(h.heartbeat(member: m1, generation: gen, instance: "i") == code(.unknownMemberId))
    }

    @Test func sessionExpiryRemovesMemberAndRebalances() {
        var (h, m1, m2, gen) = stableGroup()
        for _ in 0..<2 {
            h.advance(by: 4_000)
            #expect(h.heartbeat(member: m1, generation: gen) == 0)
        }
        h.advance(by: 4_000)
        // m2 has been silent since the join phase ended 12s ago (> 10s session).
        #expect(h.group?.hasMember(m2) == false)
        #expect(h.group?.state == .preparingRebalance)
        #expect(h.heartbeat(member: m1, generation: gen) == code(.rebalanceInProgress))
        let rj = h.join(member: m1)
        let r = h.joinReply(rj)!
        #expect(r.generationId == gen + 1)
        #expect(r.members.map(\.memberId) == [m1])
    }

    @Test func lastMemberExpiringEmptiesTheGroup() {
        var (h, _, _, gen) = stableGroup()
        h.advance(by: 11_000)
        #expect(h.group?.state == .empty)
        #expect(h.group?.generationId == gen + 1)
        #expect(h.group?.members.isEmpty == true)
    }

    @Test func batchedLeaveV3() {
        var (h, m1, m2, gen) = stableGroup()
        let r = h.leave(members: [(m2, nil), ("ghost", nil)])
        #expect(r.errorCode == 0)
        #expect(r.members.map(\.errorCode) == [0, code(.unknownMemberId)])
        #expect(h.group?.state == .preparingRebalance)
        let rj = h.join(member: m1)
        #expect(h.joinReply(rj)?.generationId == gen + 1)
        let all = h.leave(members: [(m1, nil)])
        #expect(all.members.first?.errorCode == 0)
        #expect(h.group?.state == .empty)
    }

    @Test func leaveV0SingleMemberAndTopLevelErrors() {
        var (h, _, m2, _) = stableGroup()
        #expect(h.leave(members: [("ghost", nil)], version: 1).errorCode == code(.unknownMemberId))
        let ok = h.leave(members: [(m2, nil)], version: 1)
        #expect(ok.errorCode == 0 && ok.members.isEmpty)
        #expect(h.leave("nope", members: [(m2, nil)]).errorCode == code(.unknownMemberId))
    }

    @Test func leaveOfPendingMemberIdIsAccepted() {
        var h = Harness()
        let id = h.join()
        let pending = h.joinReply(id)!.memberId
        let r = h.leave(members: [(pending, nil)])
        #expect(r.members.first?.errorCode == 0)
        #expect(h.group?.pendingJoinMembers.isEmpty ?? true)
    }

    @Test func heldJoinOfLeavingMemberIsAnswered() {
        var (h, m1, m2, _) = stableGroup()
        let rj = h.join(member: m1)
        let r = h.leave(members: [(m1, nil)])
        #expect(r.members.first?.errorCode == 0)
        #expect(h.joinReply(rj)?.errorCode == code(.unknownMemberId))
        #expect(h.group?.leaderId == m2)
    }
}

@Suite struct StaticMembershipTests {
    func staticGroup() -> (Harness, String, String, Int32) {
        var h = Harness()
        let (_, j1) = h.joinNew(instance: "i1")
        let (_, j2) = h.joinNew(instance: "i2")
        h.advance(by: 6_000)
        let r1 = h.joinReply(j1)!
        let r2 = h.joinReply(j2)!
        _ = h.take(h.sync(member: r2.memberId, generation: r1.generationId, instance: "i2"))
        _ = h.take(h.sync(member: r1.memberId, generation: r1.generationId, instance: "i1",
                          assignments: [r1.memberId: bytes("a1"), r2.memberId: bytes("a2")]))
        return (h, r1.memberId, r2.memberId, r1.generationId)
    }

    @Test func staticJoinSkipsMemberIdRequired() {
        var h = Harness()
        let id = h.join(instance: "i1")
        #expect(h.take(id) == nil, "added at once, held for the initial delay")
        #expect(h.group?.staticMemberId("i1") != nil)
    }

    @Test func followerRejoinReplacesIdWithoutRebalance() {
        var (h, _, old2, gen) = staticGroup()
        let records = h.log.count
        let rj = h.join(instance: "i2")
        let r = h.joinReply(rj)!
        #expect(r.errorCode == 0)
        #expect(r.generationId == gen)
        #expect(r.memberId != old2)
        #expect(h.group?.state == .stable)
        #expect(h.group?.member(r.memberId)?.assignment == bytes("a2"))
        #expect(h.log.count == records + 1, "the replacement is persisted")
        // The old id is fenced.
        #expect(h.heartbeat(member: old2, generation: gen, instance: "i2") == code(.fencedInstanceId))
        #expect(h.heartbeat(member: r.memberId, generation: gen, instance: "i2") == 0)
        let c = h.commit(member: old2, generation: gen, instance: "i2", offsets: [("t", 0, 5)])
        #expect(c == [code(.fencedInstanceId)])
    }

    @Test func leaderRejoinV9SkipsAssignment() {
        var (h, old1, _, gen) = staticGroup()
        let rj = h.join(instance: "i1", version: 9)
        let r = h.joinReply(rj)!
        #expect(r.skipAssignment)
        #expect(r.leader == r.memberId && r.memberId != old1)
        #expect(r.members.count == 2)
        #expect(r.generationId == gen)
        #expect(h.group?.state == .stable)
    }

    @Test func leaderRejoinBeforeV9Rebalances() {
        var (h, _, _, _) = staticGroup()
        _ = h.join(instance: "i1", version: 8)
        #expect(h.group?.state == .preparingRebalance)
    }

    @Test func changedProtocolsRebalance() {
        var (h, _, _, _) = staticGroup()
        _ = h.join(instance: "i2", protocols: [("range", subscription(["t", "other"]))])
        #expect(h.group?.state == .preparingRebalance)
    }

    @Test func leaveByInstanceIdAndFencing() {
        var (h, m1, _, _) = staticGroup()
        let fenced = h.leave(members: [("wrong-id", "i1")])
        #expect(fenced.members.first?.errorCode == code(.fencedInstanceId))
        let unknown = h.leave(members: [("", "i9")])
        #expect(unknown.members.first?.errorCode == code(.unknownMemberId))
        let ok = h.leave(members: [("", "i1")])
        #expect(ok.members.first?.errorCode == 0)
        #expect(h.group?.hasMember(m1) == false)
    }

    @Test func staticMembersSurviveRebalanceTimeout() {
        var (h, m1, m2, gen) = staticGroup()
        // m1 rejoins with the same id (dynamic-style rejoin of the leader) to start a rebalance; i2 stays away
        // but keeps heartbeating.
        let rj = h.join(member: m1, instance: "i1")
        for _ in 0..<8 {
            h.advance(by: 4_000)
            _ = h.heartbeat(member: m2, generation: gen, instance: "i2")
        }
        let r = h.joinReply(rj)!
        #expect(r.generationId == gen + 1)
        #expect(Set(r.members.map(\.memberId)) == [m1, m2], "static members are not dropped at the join deadline")
    }
}
