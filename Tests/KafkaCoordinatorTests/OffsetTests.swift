import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaCoordinator

@Suite struct OffsetTests {
    @Test func simpleConsumerCommitAndFetch() {
        var h = Harness()
        #expect(h.commit(offsets: [("t", 0, 10), ("t", 1, 20), ("u", 0, 5)], metadata: "m", leaderEpoch: 3) == [0, 0, 0])
        #expect(h.group?.state == .empty)
        #expect(h.group?.protocolType == nil)
        let some = h.fetch(topics: [("t", [0, 2])])
        #expect(some["t"]?[0]?.0 == 10)
        #expect(some["t"]?[0]?.1 == 3)
        #expect(some["t"]?[0]?.2 == "m")
        #expect(some["t"]?[2]?.0 == -1)
        let all = h.fetch(topics: nil)
        #expect(all.keys.sorted() == ["t", "u"])
        #expect(all["t"]?.count == 2)
        #expect(h.fetch("none", topics: nil).isEmpty)
    }

    @Test func oldFetchVersionsAndMultiGroup() {
        var h = Harness()
        _ = h.commit(offsets: [("t", 0, 7)])
        _ = h.commit("g2", offsets: [("t", 0, 8)])
        var r = OffsetFetchRequest()
        r.groupId = "g"
        r.topics = nil
        let id = h.send({ .offsetFetch($0, r) }, version: 3)
        guard case .offsetFetch(let old)? = h.take(id) else { Issue.record(); return }
        #expect(old.topics.first?.partitions.first?.committedOffset == 7)
        var buf = ByteBuffer()
        #expect(throws: Never.self) { try old.encode(into: &buf, version: 3) }
        var multi = OffsetFetchRequest()
        for g in ["g", "g2"] {
            var x = OffsetFetchRequest.OffsetFetchRequestGroup()
            x.groupId = g
            x.topics = nil
            multi.groups.append(x)
        }
        multi.requireStable = true
        let mid = h.send({ .offsetFetch($0, multi) }, version: 8)
        guard case .offsetFetch(let m)? = h.take(mid) else { Issue.record(); return }
        #expect(m.groups.map { $0.topics.first?.partitions.first?.committedOffset } == [7, 8])
    }

    @Test func metadataTooLarge() {
        var cfg = GroupCoordinatorConfig()
        cfg.offsetMetadataMaxBytes = 4
        var h = Harness(config: cfg)
        #expect(h.commit(offsets: [("t", 0, 1)], metadata: "12345") == [code(.offsetMetadataTooLarge)])
        #expect(h.commit(offsets: [("t", 0, 1)], metadata: "1234") == [0])
    }

    @Test func memberCommitValidation() {
        var (h, m1, m2, gen) = stableGroup()
        #expect(h.commit(member: m1, generation: gen, offsets: [("t", 0, 1)]) == [0])
        #expect(h.commit(member: m1, generation: gen + 1, offsets: [("t", 0, 1)]) == [code(.illegalGeneration)])
        #expect(h.commit(member: "x", generation: gen, offsets: [("t", 0, 1)]) == [code(.unknownMemberId)])
        // A simple (generation -1, no member) commit to a group with members.
        #expect(h.commit(offsets: [("t", 0, 1)]) == [code(.unknownMemberId)])
        // Unknown group with a generation.
        #expect(h.commit("nope", member: m1, generation: 1, offsets: [("t", 0, 1)], version: 8) == [code(.illegalGeneration)])
        #expect(h.commit("nope", member: m1, generation: 1, offsets: [("t", 0, 1)], version: 9) == [code(.groupIdNotFound)])
        // During PreparingRebalance the old generation may still commit (e.g. on revocation).
        _ = h.join(member: m1)
        #expect(h.group?.state == .preparingRebalance)
        #expect(h.commit(member: m2, generation: gen, offsets: [("t", 1, 2)]) == [0])
        // In CompletingRebalance: REBALANCE_IN_PROGRESS.
        _ = h.join(member: m2)
        #expect(h.group?.state == .completingRebalance)
        #expect(h.commit(member: m2, generation: gen + 1, offsets: [("t", 1, 3)]) == [code(.rebalanceInProgress)])
    }

    @Test func offsetDelete() {
        var (h, m1, _, gen) = stableGroup()
        _ = h.commit(member: m1, generation: gen, offsets: [("t", 0, 1), ("old", 0, 2)])
        var r = OffsetDeleteRequest()
        r.groupId = "g"
        for name in ["t", "old"] {
            var t = OffsetDeleteRequest.OffsetDeleteRequestTopic()
            t.name = name
            var p = OffsetDeleteRequest.OffsetDeleteRequestPartition()
            p.partitionIndex = 0
            t.partitions = [p]
            r.topics.append(t)
        }
        let id = h.send({ .offsetDelete($0, r) }, version: 0)
        guard case .offsetDelete(let resp)? = h.take(id) else { Issue.record(); return }
        #expect(resp.errorCode == 0)
        #expect(resp.topics.map { $0.partitions[0].errorCode } == [code(.groupSubscribedToTopic), 0])
        #expect(h.shard.committedOffset(group: "g", topic: "old", partition: 0) == nil)
        #expect(h.shard.committedOffset(group: "g", topic: "t", partition: 0) != nil)
        r.groupId = "missing"
        let id2 = h.send({ .offsetDelete($0, r) }, version: 0)
        #expect(h.take(id2)?.errorCode == code(.groupIdNotFound))
    }

    @Test func offsetDeleteOnNonConsumerGroup() {
        var r = OffsetDeleteRequest()
        r.groupId = "g"
        var h2 = Harness()
        _ = h2.join(version: 3, type: "connect")
        let id = h2.send({ .offsetDelete($0, r) }, version: 0)
        #expect(h2.take(id)?.errorCode == code(.nonEmptyGroup))
    }

    @Test func retentionExpiresOffsetsOfEmptyGroupThenDeletesIt() {
        var cfg = GroupCoordinatorConfig()
        cfg.offsetsRetentionMs = 60_000
        cfg.offsetsRetentionCheckIntervalMs = 10_000
        var h = Harness(config: cfg)
        h.apply(h.shard.onLoaded(now: h.now))
        let (m1, j1) = h.joinNew()
        h.advance(by: 6_000)
        let gen = h.joinReply(j1)!.generationId
        _ = h.take(h.sync(member: m1, generation: gen, assignments: [m1: bytes("a")]))
        _ = h.commit(member: m1, generation: gen, offsets: [("t", 0, 9)])
        // Stable and subscribed to t: never expires while the member stays.
        _ = h.heartbeat(member: m1, generation: gen)
        for _ in 0..<20 {
            h.advance(by: 5_000)
            _ = h.heartbeat(member: m1, generation: gen)
        }
        #expect(h.shard.committedOffset(group: "g", topic: "t", partition: 0) != nil)
        _ = h.leave(members: [(m1, nil)])
        #expect(h.group?.state == .empty)
        h.advance(by: 50_000)
        #expect(h.shard.committedOffset(group: "g", topic: "t", partition: 0) != nil)
        h.advance(by: 20_000)
        #expect(h.shard.committedOffset(group: "g", topic: "t", partition: 0) == nil)
        #expect(h.group == nil, "an Empty group without offsets is deleted")
    }

    @Test func simpleGroupOffsetsExpireFromCommitAndExplicitRetention() {
        var cfg = GroupCoordinatorConfig()
        cfg.offsetsRetentionMs = 60_000
        cfg.offsetsRetentionCheckIntervalMs = 10_000
        var h = Harness(config: cfg)
        h.apply(h.shard.onLoaded(now: h.now))
        _ = h.commit(offsets: [("t", 0, 1)])
        _ = h.commit(offsets: [("t", 1, 1)], version: 2, retention: 15_000)
        h.advance(by: 20_000)
        #expect(h.shard.committedOffset(group: "g", topic: "t", partition: 1) == nil, "v2 retention time")
        _ = h.commit(offsets: [("t", 2, 1)])
        h.advance(by: 45_000)
        #expect(h.shard.committedOffset(group: "g", topic: "t", partition: 0) == nil)
        #expect(h.shard.committedOffset(group: "g", topic: "t", partition: 2) != nil)
    }
}
