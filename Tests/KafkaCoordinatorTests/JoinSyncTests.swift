import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaCoordinator

@Suite struct JoinSyncTests {
    @Test func memberIdRequiredFromV4() {
        var h = Harness()
        let id = h.join(version: 4, clientId: "c1")
        let r = h.joinReply(id)!
        #expect(r.errorCode == code(.memberIdRequired))
        #expect(r.memberId.hasPrefix("c1-"))
        #expect(r.memberId.count == "c1-".count + 36)
        #expect(h.group?.members.isEmpty == true)
        #expect(h.group?.pendingJoinMembers.contains(r.memberId) == true)
    }

    @Test func v3JoinsWithoutMemberIdRoundTrip() {
        var h = Harness()
        let id = h.join(version: 3)
        #expect(h.take(id) == nil, "held for the initial delay")
        #expect(h.group?.state == .preparingRebalance)
        #expect(h.group?.members.count == 1)
        h.advance(by: 3_000)
        let r = h.joinReply(id)!
        #expect(r.errorCode == 0)
        #expect(r.generationId == 1)
        #expect(r.leader == r.memberId)
        #expect(r.members.count == 1)
        #expect(r.protocolName == "range")
        #expect(h.group?.state == .completingRebalance)
    }

    @Test func pendingMemberExpiresAfterSessionTimeout() {
        var h = Harness()
        let id = h.join(version: 4)
        let memberId = h.joinReply(id)!.memberId
        h.advance(by: 10_000)
        #expect(h.group == nil || h.group?.pendingJoinMembers.contains(memberId) == false)
        // The stale id is now unknown.
        let again = h.join(member: memberId)
        #expect(h.joinReply(again)?.errorCode == code(.unknownMemberId))
    }

    @Test func initialDelayExtendsWhileMembersJoin() {
        var h = Harness()
        let (_, j1) = h.joinNew()
        h.advance(by: 2_000)
        let (_, j2) = h.joinNew()
        h.advance(by: 1_500)  // first delay over, a member joined: wait another delay
        #expect(h.take(j1) == nil)
        h.advance(by: 6_000)
        let r1 = h.joinReply(j1)!
        let r2 = h.joinReply(j2)!
        #expect(r1.generationId == 1 && r2.generationId == 1)
        #expect(r1.members.count == 2, "the first joiner leads and gets all members")
        #expect(r2.members.isEmpty)
        #expect(r1.leader == r1.memberId && r2.leader == r1.memberId)
    }

    @Test func initialDelayBoundedByRebalanceTimeout() {
        var cfg = GroupCoordinatorConfig()
        cfg.initialRebalanceDelayMs = 3_000
        var h = Harness(config: cfg)
        let (_, j1) = h.joinNew(rebalance: 5_000)
        var joined: [UInt64] = [j1]
        for _ in 0..<5 {
            h.advance(by: 2_900)
            if h.replies[j1] != nil { break }
            joined.append(h.joinNew(rebalance: 5_000).1)
        }
        // Completes by delay + remaining rebalance timeout at most, never waiting for joiners forever.
        #expect(h.now <= 3_000 + 5_000 + 2_900)
        #expect(h.joinReply(j1)?.errorCode == 0)
    }

    @Test func fullRoundWithSyncAndStable() {
        var h = Harness()
        let (m1, j1) = h.joinNew()
        let (m2, j2) = h.joinNew()
        h.advance(by: 6_000)
        let gen = h.joinReply(j1)!.generationId
        _ = h.joinReply(j2)
        let s2 = h.sync(member: m2, generation: gen)
        #expect(h.take(s2) == nil, "followers wait for the leader")
        #expect(h.heartbeat(member: m2, generation: gen) == 0, "heartbeats in CompletingRebalance are fine")
        let s1 = h.sync(member: m1, generation: gen, assignments: [m1: bytes("a1"), m2: bytes("a2")])
        #expect(h.syncReply(s1)?.assignment == bytes("a1"))
        #expect(h.syncReply(s2)?.assignment == bytes("a2"))
        #expect(h.group?.state == .stable)
        #expect(h.log.count == 1, "the group metadata record")
        // A late sync in Stable gets the stored assignment.
        let again = h.sync(member: m2, generation: gen)
        #expect(h.syncReply(again)?.assignment == bytes("a2"))
        #expect(h.syncReply(h.sync(member: m2, generation: gen + 1))?.errorCode == code(.illegalGeneration))
        #expect(h.syncReply(h.sync(member: "nobody", generation: gen))?.errorCode == code(.unknownMemberId))
        #expect(h.syncReply(h.sync("other", member: m1, generation: gen))?.errorCode == code(.unknownMemberId))
    }

    @Test func syncV5ChecksProtocol() {
        var h = Harness()
        let (m1, j1) = h.joinNew()
        h.advance(by: 6_000)
        let gen = h.joinReply(j1)!.generationId
        var r = SyncGroupRequest()
        r.groupId = "g"
        r.memberId = m1
        r.generationId = gen
        r.protocolType = "consumer"
        r.protocolName = "roundrobin"
        let id = h.send({ .syncGroup($0, r) }, version: 5)
        #expect(h.syncReply(id)?.errorCode == code(.inconsistentGroupProtocol))
    }

    @Test func inconsistentProtocolAndSelectionByVote() {
        var h = Harness()
        let (_, j1) = h.joinNew(protocols: [("range", subscription(["t"])), ("sticky", subscription(["t"]))])
        let (_, j2) = h.joinNew(protocols: [("sticky", subscription(["t"])), ("range", subscription(["t"]))])
        let (_, j3) = h.joinNew(protocols: [("sticky", subscription(["t"]))])
        // Nothing in common with the group: refused.
        let bad = h.join(protocols: [("roundrobin", subscription(["t"]))])
        #expect(h.joinReply(bad)?.errorCode == code(.inconsistentGroupProtocol))
        let wrongType = h.join(type: "connect")
        #expect(h.joinReply(wrongType)?.errorCode == code(.inconsistentGroupProtocol))
        h.advance(by: 6_000)
        for j in [j1, j2, j3] { #expect(h.joinReply(j)?.protocolName == "sticky") }
    }

    @Test func joinValidation() {
        var h = Harness()
        #expect(h.joinReply(h.join(session: 1_000))?.errorCode == code(.invalidSessionTimeout))
        #expect(h.joinReply(h.join(session: 2_000_000))?.errorCode == code(.invalidSessionTimeout))
        #expect(h.joinReply(h.join(""))?.errorCode == code(.invalidGroupId))
        #expect(h.joinReply(h.join(member: "ghost"))?.errorCode == code(.unknownMemberId))
        #expect(h.joinReply(h.join(protocols: []))?.errorCode == code(.inconsistentGroupProtocol))
        #expect(h.shard.groups.isEmpty, "failed joins leave no group behind")
    }

    @Test func groupMaxSize() {
        var cfg = GroupCoordinatorConfig()
        cfg.maxGroupSize = 2
        var h = Harness(config: cfg)
        let (_, j1) = h.joinNew()
        let (_, j2) = h.joinNew()
        // Checked before a member id is handed out (Kafka's acceptJoiningMember).
        #expect(h.joinReply(h.join())?.errorCode == code(.groupMaxSizeReached))
        h.advance(by: 6_000)
        #expect(h.joinReply(j1)?.errorCode == 0)
        #expect(h.joinReply(j2)?.errorCode == 0)
        #expect(h.group?.members.count == 2)
    }

    @Test func rejoinInStableTriggersRebalanceAndMissingMembersAreDropped() {
        var h = Harness()
        let (m1, j1) = h.joinNew(rebalance: 20_000)
        let (m2, j2) = h.joinNew(rebalance: 20_000)
        h.advance(by: 6_000)
        let gen = h.joinReply(j1)!.generationId
        _ = h.joinReply(j2)
        _ = h.take(h.sync(member: m2, generation: gen))
        _ = h.take(h.sync(member: m1, generation: gen, assignments: [m1: bytes("x"), m2: bytes("y")]))
        // A follower rejoining with the same metadata in Stable just gets the generation back.
        let same = h.join(member: m2)
        #expect(h.joinReply(same)?.generationId == gen)
        #expect(h.group?.state == .stable)
        // The leader rejoining starts a rebalance.
        let lead = h.join(member: m1)
        #expect(h.group?.state == .preparingRebalance)
        #expect(h.heartbeat(member: m2, generation: gen) == code(.rebalanceInProgress))
        #expect(h.take(lead) == nil)
        // m2 never rejoins: dropped when the rebalance timeout expires (m2 heartbeats meanwhile).
        h.advance(by: 5_000)
        #expect(h.heartbeat(member: m2, generation: gen) == code(.rebalanceInProgress))
        h.advance(by: 15_000)
        let r = h.joinReply(lead)!
        #expect(r.generationId == gen + 1)
        #expect(r.members.map(\.memberId) == [m1])
        #expect(h.heartbeat(member: m2, generation: gen) == code(.unknownMemberId))
    }

    @Test func rebalanceCompletesAsSoonAsAllRejoin() {
        var (h, m1, m2, gen) = stableGroup()
        let r1 = h.join(member: m1)
        #expect(h.take(r1) == nil)
        let r2 = h.join(member: m2)
        #expect(h.joinReply(r1)?.generationId == gen + 1)
        #expect(h.joinReply(r2)?.generationId == gen + 1)
    }

    @Test func rejoinInCompletingRebalanceWithSameProtocolsGetsCurrentGeneration() {
        var h = Harness()
        let (m1, j1) = h.joinNew()
        h.advance(by: 6_000)
        let gen = h.joinReply(j1)!.generationId
        let again = h.joinReply(h.join(member: m1))!
        #expect(again.generationId == gen)
        #expect(again.members.count == 1)
        #expect(h.group?.state == .completingRebalance)
    }

    @Test func joinDuringCompletingRebalanceResetsPendingSyncs() {
        var h = Harness()
        let (m1, j1) = h.joinNew()
        let (m2, j2) = h.joinNew()
        h.advance(by: 6_000)
        let gen = h.joinReply(j1)!.generationId
        _ = h.joinReply(j2)
        let s2 = h.sync(member: m2, generation: gen)
        // A member with changed subscription rejoins before the leader synced.
        let rj = h.join(member: m2, protocols: [("range", subscription(["t", "u"]))])
        #expect(h.syncReply(s2)?.errorCode == code(.rebalanceInProgress))
        #expect(h.group?.state == .preparingRebalance)
        let rj1 = h.join(member: m1)
        #expect(h.joinReply(rj)?.generationId == gen + 1)
        #expect(h.joinReply(rj1)?.generationId == gen + 1)
    }

    @Test func syncTimeoutRemovesMembersThatNeverSynced() {
        var h = Harness()
        let (m1, j1) = h.joinNew(rebalance: 10_000)
        let (m2, j2) = h.joinNew(rebalance: 10_000)
        h.advance(by: 6_000)
        let gen = h.joinReply(j1)!.generationId
        _ = h.joinReply(j2)
        let s1 = h.sync(member: m1, generation: gen, assignments: [m1: bytes("x"), m2: bytes("y")])
        #expect(h.syncReply(s1)?.errorCode == 0)
        // m2 keeps heartbeating but never syncs.
        for _ in 0..<4 {
            h.advance(by: 2_600)
            _ = h.heartbeat(member: m2, generation: gen)
            _ = h.heartbeat(member: m1, generation: h.group!.generationId)
        }
        #expect(h.group?.hasMember(m2) == false)
        #expect(h.group?.state == .preparingRebalance)
    }

    @Test func joinResponseFieldsPerVersion() {
        var h = Harness()
        let id = h.join(version: 6)
        let r = h.joinReply(id)!
        #expect(r.protocolName == "")
        var buf = ByteBuffer()
        #expect(throws: Never.self) { try r.encode(into: &buf, version: 6) }
        let v7 = h.joinReply(h.join(version: 7))!
        #expect(v7.protocolName == nil)
    }
}
