import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaCoordinator

/// KIP-848 online migration: classic members inside a consumer group, and the upgrade of a classic group.
@Suite struct ConsumerGroupMigrationTests {
    private func harness() -> Harness {
        var h = Harness()
        h.setTopics(["t": 6])
        return h
    }

    /// A classic JoinGroup (v5, so MEMBER_ID_REQUIRED first) into the consumer group; returns the member id and
    /// the generation.
    private func classicJoin(_ h: inout Harness, member: String = "", owned: [Int32]? = nil) -> (String, Int32, Int16) {
        var sub = ConsumerProtocolSubscription()
        sub.topics = ["t"]
        if let owned {
            var tp = ConsumerProtocolSubscription.TopicPartition()
            tp.topic = "t"
            tp.partitions = owned
            sub.ownedPartitions = [tp]
        }
        var b = ByteBuffer()
        b.writeInteger(Int16(1), endianness: .big)
        try! sub.encode(into: &b, version: 1)
        var id = member
        for _ in 0..<2 {
            let rid = h.join(member: id, version: 5, protocols: [("range", b)])
            guard let r = h.joinReply(rid) else { return ("", -1, -1) }
            if r.errorCode == KafkaError.memberIdRequired.rawValue { id = r.memberId; continue }
            return (r.memberId, r.generationId, r.errorCode)
        }
        return (id, -1, -1)
    }

    private func syncAssignment(_ h: inout Harness, _ member: String, _ generation: Int32) -> [Int32]? {
        let sid = h.sync(member: member, generation: generation)
        guard let r = h.syncReply(sid), r.errorCode == 0 else { return nil }
        var bytes = r.assignment
        guard let v: Int16 = bytes.readInteger(endianness: .big),
              let a = try? ConsumerProtocolAssignment(from: &bytes, version: v) else { return nil }
        return a.assignedPartitions.first?.partitions.sorted() ?? []
    }

    @Test func classicMemberJoinsAndSharesWithConsumerMember() {
        var h = harness()
        let a = h.cgHeartbeat(member: "a", epoch: 0, topics: ["t"])
        #expect(a.assigned?[topicId("t")]?.count == 6)
        let (c, gen, err) = classicJoin(&h)
        #expect(err == 0 && !c.isEmpty)
        #expect(h.shard.consumerGroups["g"]?.members[c]?.classic != nil)
        // Nothing free yet: a holds everything; the classic member must come back.
        #expect(syncAssignment(&h, c, gen) == [])
        #expect(h.heartbeat(member: c, generation: gen) == KafkaError.rebalanceInProgress.rawValue)
        // a revokes three partitions and acknowledges.
        let a2 = h.cgHeartbeat(member: "a", epoch: a.memberEpoch)
        _ = h.cgHeartbeat(member: "a", epoch: a2.memberEpoch, owned: a2.assigned)
        // The classic member rejoins (eager: owning nothing) and gets the other three.
        let (_, gen2, err2) = classicJoin(&h, member: c)
        #expect(err2 == 0)
        let mine = syncAssignment(&h, c, gen2)
        #expect(mine?.count == 3)
        #expect(Set(mine ?? []).isDisjoint(with: h.shard.consumerGroups["g"]!.members["a"]!.assignedPartitions[topicId("t")] ?? []))
        #expect(h.heartbeat(member: c, generation: gen2) == 0)
        #expect(h.heartbeat(member: c, generation: gen2 - 1) == KafkaError.illegalGeneration.rawValue)
        // Classic offset commits use the member epoch as the generation, below v9 too.
        #expect(h.commit(member: c, generation: gen2, offsets: [("t", mine!.first!, 4)], version: 7) == [0])
        #expect(h.commit(member: c, generation: gen2 - 1, offsets: [("t", mine!.first!, 5)], version: 7) == [KafkaError.illegalGeneration.rawValue])
        // Leaving frees its partitions for a.
        let left = h.leave(members: [(c, nil)])
        #expect(left.members.first?.errorCode == 0)
        let a3 = h.cgHeartbeat(member: "a", epoch: h.shard.consumerGroups["g"]!.members["a"]!.memberEpoch)
        #expect(a3.assigned?[topicId("t")]?.count == 6)
    }

    @Test func unknownClassicMemberIdIsRefused() {
        var h = harness()
        _ = h.cgHeartbeat(member: "a", epoch: 0, topics: ["t"])
        #expect(classicJoin(&h, member: "made-up").2 == KafkaError.unknownMemberId.rawValue)
    }

    @Test func classicGroupUpgradesWhenAConsumerMemberJoins() {
        var h = harness()
        // A stable classic group of two, with real consumer-protocol assignments.
        let (m1, id1) = h.joinNew(protocols: [("range", subscription(["t"]))])
        let (m2, id2) = h.joinNew(protocols: [("range", subscription(["t"]))])
        h.advance(by: 6_000)
        let g1 = h.joinReply(id1), g2 = h.joinReply(id2)
        let generation = g1?.generationId ?? -1
        #expect(g2?.generationId == generation)
        func assignment(_ ps: [Int32]) -> ByteBuffer {
            var a = ConsumerProtocolAssignment()
            var tp = ConsumerProtocolAssignment.TopicPartition()
            tp.topic = "t"
            tp.partitions = ps
            a.assignedPartitions = [tp]
            var b = ByteBuffer()
            b.writeInteger(Int16(0), endianness: .big)
            try! a.encode(into: &b, version: 0)
            return b
        }
        let leader = g1?.leader ?? ""
        let follower = leader == m1 ? m2 : m1
        let s2 = h.sync(member: follower, generation: generation)
        let s1 = h.sync(member: leader, generation: generation, assignments: [m1: assignment([0, 1, 2]), m2: assignment([3, 4, 5])])
        #expect(h.syncReply(s1)?.errorCode == 0 && h.syncReply(s2)?.errorCode == 0)
        #expect(h.shard.groups["g"]?.state == .stable)

        let n = h.cgHeartbeat(member: "new", epoch: 0, topics: ["t"])
        #expect(n.errorCode == 0)
        let g = h.shard.consumerGroups["g"]!
        #expect(h.shard.groups["g"] == nil)
        #expect(g.members[m1]?.classic != nil && g.members[m1]?.assignedPartitions == [topicId("t"): [0, 1, 2]])
        #expect(g.members[m2]?.assignedPartitions == [topicId("t"): [3, 4, 5]])
        #expect(g.groupEpoch == generation + 1, "the new member bumped the epoch")
        // The classic members are told to rejoin, and still heartbeat at their generation.
        #expect(h.heartbeat(member: m1, generation: generation) == KafkaError.rebalanceInProgress.rawValue)
        // Replaying the log rebuilds the same consumer group.
        var fresh = GroupCoordinatorShard(memberIds: MemberIdGenerator(seed: 1))
        for (k, v) in h.log { fresh.replay(try! CoordinatorRecord(key: k, value: v)) }
        #expect(fresh.consumerGroups == h.shard.consumerGroups)
        #expect(fresh.groups["g"] == nil)
    }

    @Test func upgradeIsRefusedWhenDisabled() {
        var config = GroupCoordinatorConfig()
        config.consumerMigrationUpgrade = false
        var h = Harness(config: config)
        h.setTopics(["t": 6])
        let (_, id1) = h.joinNew(protocols: [("range", subscription(["t"]))])
        h.advance(by: 6_000)
        let g1 = h.joinReply(id1)!
        _ = h.syncReply(h.sync(member: g1.memberId, generation: g1.generationId, assignments: [g1.memberId: ByteBuffer()]))
        #expect(h.cgHeartbeat(member: "new", epoch: 0, topics: ["t"]).errorCode == KafkaError.groupIdNotFound.rawValue)
    }

    @Test func lastConsumerMemberLeavingTurnsTheGroupClassic() {
        var h = harness()
        _ = h.cgHeartbeat(member: "a", epoch: 0, topics: ["t"])
        let (c, gen, _) = classicJoin(&h)
        _ = syncAssignment(&h, c, gen)
        #expect(h.cgHeartbeat(member: "a", epoch: h.shard.consumerGroups["g"]!.members["a"]!.memberEpoch, ).errorCode == 0)
        _ = h.cgHeartbeat(member: "a", epoch: -1)
        #expect(h.shard.consumerGroups["g"] == nil)
        let classic = h.shard.groups["g"]
        #expect(classic?.state == .preparingRebalance && classic?.members.map(\.memberId) == [c])
        // The classic member rejoins the classic group and leads it.
        #expect(h.heartbeat(member: c, generation: gen) == KafkaError.rebalanceInProgress.rawValue)
        let jid = h.join(member: c, version: 5, protocols: [("range", subscription(["t"]))])
        let r = h.joinReply(jid)
        #expect(r?.errorCode == 0 && r?.leader == c)
        let sid = h.sync(member: c, generation: r?.generationId ?? -1, assignments: [c: bytes("all")])
        #expect(h.syncReply(sid)?.assignment == bytes("all"))
        #expect(h.shard.groups["g"]?.state == .stable)
        // Replaying the log gives the classic group (its metadata record came with the completed rebalance).
        var fresh = GroupCoordinatorShard(memberIds: MemberIdGenerator(seed: 1))
        for (k, v) in h.log { fresh.replay(try! CoordinatorRecord(key: k, value: v)) }
        #expect(fresh.consumerGroups["g"] == nil && fresh.groups["g"]?.members.map(\.memberId) == [c])
    }
}
