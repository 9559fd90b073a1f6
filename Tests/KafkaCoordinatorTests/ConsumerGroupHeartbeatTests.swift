import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaCoordinator

@Suite struct ConsumerGroupHeartbeatTests {
    private func harness(_ topics: [String: Int32] = ["t": 6]) -> Harness {
        var h = Harness()
        h.setTopics(topics)
        return h
    }

    @Test func firstMemberGetsEveryPartitionAtOnce() {
        var h = harness()
        let r = h.cgHeartbeat(member: "a", epoch: 0, topics: ["t"])
        #expect(r.errorCode == 0)
        #expect(r.memberId == "a")
        #expect(r.memberEpoch == 1)
        #expect(r.assigned == [topicId("t"): Set(0..<6)])
        let g = h.shard.consumerGroups["g"]!
        #expect(g.groupEpoch == 1 && g.assignmentEpoch == 1 && g.state == .stable)
        // Stable, but it just changed: the short interval, until one stable interval has passed.
        #expect(r.heartbeatIntervalMs == 100)
        h.advance(by: 4_999)
        #expect(h.cgHeartbeat(member: "a", epoch: 1).heartbeatIntervalMs == 100)
        h.advance(by: 1)
        #expect(h.cgHeartbeat(member: "a", epoch: 1).heartbeatIntervalMs == 5_000)
    }

    @Test func secondMemberWaitsForRevocationThenGetsItsHalf() {
        var h = harness()
        _ = h.cgHeartbeat(member: "a", epoch: 0, topics: ["t"])
        let b1 = h.cgHeartbeat(member: "b", epoch: 0, topics: ["t"])
        // b is at epoch 2 but every partition of its target is still a's.
        #expect(b1.memberEpoch == 2)
        #expect(b1.assigned == [:])
        #expect(h.shard.consumerGroups["g"]!.members["b"]!.state == .unreleasedPartitions)
        #expect(b1.heartbeatIntervalMs == 100, "a converging group heartbeats fast")
        // a learns it must give up three partitions: it stays at epoch 1.
        let a2 = h.cgHeartbeat(member: "a", epoch: 1)
        #expect(a2.memberEpoch == 1)
        let aKeeps = a2.assigned![topicId("t")]!
        #expect(aKeeps.count == 3)
        // Until a reports the revocation, b gets nothing.
        #expect(h.cgHeartbeat(member: "b", epoch: 2).assigned == nil)
        let a3 = h.cgHeartbeat(member: "a", epoch: 1, owned: [topicId("t"): aKeeps])
        #expect(a3.memberEpoch == 2)
        let b2 = h.cgHeartbeat(member: "b", epoch: 2)
        #expect(b2.assigned == [topicId("t"): Set(0..<6).subtracting(aKeeps)])
        #expect(h.shard.consumerGroups["g"]!.state == .stable)
    }

    @Test func fencedAndUnknownMembers() {
        var h = harness()
        _ = h.cgHeartbeat(member: "a", epoch: 0, topics: ["t"])
        #expect(h.cgHeartbeat(member: "a", epoch: 7).errorCode == KafkaError.fencedMemberEpoch.rawValue)
        #expect(h.cgHeartbeat(member: "zz", epoch: 1).errorCode == KafkaError.unknownMemberId.rawValue)
        #expect(h.cgHeartbeat("nope", member: "a", epoch: 3).errorCode == KafkaError.unknownMemberId.rawValue)
        // Rejoining with epoch 0 is allowed and hands the member its partitions again.
        let r = h.cgHeartbeat(member: "a", epoch: 0, topics: ["t"])
        #expect(r.errorCode == 0 && r.assigned?[topicId("t")]?.count == 6)
    }

    @Test func requestValidation() {
        var h = harness()
        #expect(h.cgHeartbeat("", member: "a", epoch: 0, topics: ["t"]).errorCode == KafkaError.invalidRequest.rawValue)
        #expect(h.cgHeartbeat(member: "", epoch: 0, topics: ["t"]).errorCode == KafkaError.invalidRequest.rawValue)
        #expect(h.cgHeartbeat(member: "a", epoch: 0).errorCode == KafkaError.invalidRequest.rawValue, "no subscription")
        #expect(h.cgHeartbeat(member: "a", epoch: 0, topics: ["t"], assignor: "sticky").errorCode == KafkaError.unsupportedAssignor.rawValue)
        #expect(h.cgHeartbeat(member: "a", epoch: 0, regex: "t(").errorCode == KafkaError.invalidRegularExpression.rawValue)
        #expect(h.cgHeartbeat(member: "a", epoch: 0, regex: "(?=t)").errorCode == KafkaError.invalidRegularExpression.rawValue, "RE2 has no lookahead")
        #expect(h.cgHeartbeat(member: "a", epoch: -5).errorCode == KafkaError.invalidRequest.rawValue)
        // v0 lets the coordinator choose the member id.
        let v0 = h.cgHeartbeat(member: "", epoch: 0, topics: ["t"], version: 0)
        #expect(v0.errorCode == 0 && (v0.memberId?.count ?? 0) == 36)
    }

    @Test func groupMaxSize() {
        var config = GroupCoordinatorConfig()
        config.consumerMaxGroupSize = 1
        var h = Harness(config: config)
        h.setTopics(["t": 2])
        #expect(h.cgHeartbeat(member: "a", epoch: 0, topics: ["t"]).errorCode == 0)
        #expect(h.cgHeartbeat(member: "b", epoch: 0, topics: ["t"]).errorCode == KafkaError.groupMaxSizeReached.rawValue)
    }

    @Test func leaveFreesPartitionsForTheOthers() {
        var h = harness()
        _ = h.cgHeartbeat(member: "a", epoch: 0, topics: ["t"])
        _ = h.cgHeartbeat(member: "b", epoch: 0, topics: ["t"])
        let a = h.cgHeartbeat(member: "a", epoch: 1)
        _ = h.cgHeartbeat(member: "a", epoch: 1, owned: a.assigned)
        _ = h.cgHeartbeat(member: "b", epoch: 2)
        let left = h.cgHeartbeat(member: "a", epoch: -1)
        #expect(left.errorCode == 0 && left.memberEpoch == -1)
        let b = h.cgHeartbeat(member: "b", epoch: 2)
        #expect(b.memberEpoch == 3)
        #expect(b.assigned == [topicId("t"): Set(0..<6)])
        #expect(h.shard.consumerGroups["g"]!.members.keys.sorted() == ["b"])
    }

    @Test func sessionTimeoutRemovesSilentMember() {
        var h = harness()
        _ = h.cgHeartbeat(member: "a", epoch: 0, topics: ["t"])
        _ = h.cgHeartbeat(member: "b", epoch: 0, topics: ["t"])
        for _ in 0..<10 {
            h.advance(by: 5_000)
            _ = h.cgHeartbeat(member: "b", epoch: h.shard.consumerGroups["g"]!.members["b"]!.memberEpoch)
        }
        #expect(h.shard.consumerGroups["g"]!.members["a"] == nil, "a never heartbeat again: fenced after 45 s")
        #expect(h.shard.consumerGroups["g"]!.members["b"]!.assignedPartitions == [topicId("t"): Set(0..<6)])
    }

    @Test func rebalanceTimeoutFencesMemberThatDoesNotRevoke() {
        var h = harness()
        _ = h.cgHeartbeat(member: "a", epoch: 0, topics: ["t"], rebalanceTimeout: 2_000)
        _ = h.cgHeartbeat(member: "b", epoch: 0, topics: ["t"])
        _ = h.cgHeartbeat(member: "a", epoch: 1)  // told to revoke; never acknowledges
        #expect(h.shard.consumerGroups["g"]!.members["a"]!.state == .unrevokedPartitions)
        h.advance(by: 2_001)
        #expect(h.shard.consumerGroups["g"]!.members["a"] == nil)
        let b = h.cgHeartbeat(member: "b", epoch: 2)
        #expect(b.assigned == [topicId("t"): Set(0..<6)])
    }

    @Test func staticMemberComesBackWithItsPartitions() {
        var h = harness()
        _ = h.cgHeartbeat(member: "a", epoch: 0, instance: "i1", topics: ["t"])
        let epochBefore = h.shard.consumerGroups["g"]!.groupEpoch
        #expect(h.cgHeartbeat(member: "a", epoch: -2, instance: "i1").memberEpoch == -2)
        // Another process with the same instance id while the first has not left: refused.
        #expect(h.cgHeartbeat(member: "x", epoch: 0, instance: "i0", topics: ["t"]).errorCode == 0)
        #expect(h.cgHeartbeat(member: "y", epoch: 0, instance: "i0", topics: ["t"]).errorCode == KafkaError.unreleasedInstanceId.rawValue)
        #expect(h.cgHeartbeat(member: "y", epoch: 5, instance: "i0").errorCode == KafkaError.fencedInstanceId.rawValue)
        // The new incarnation of i1 takes over a's partitions without waiting for anyone.
        let back = h.cgHeartbeat(member: "a2", epoch: 0, instance: "i1", topics: ["t"])
        #expect(back.errorCode == 0)
        #expect(h.shard.consumerGroups["g"]!.members["a"] == nil)
        #expect(h.shard.consumerGroups["g"]!.groupEpoch > epochBefore)
        #expect((back.assigned?[topicId("t")]?.count ?? 0) > 0)
    }

    @Test func regexSubscriptionFollowsNewTopics() {
        var h = harness(["orders-eu": 2, "orders-us": 2, "payments": 2])
        let r = h.cgHeartbeat(member: "a", epoch: 0, regex: "orders-.*")
        #expect(r.assigned == [topicId("orders-eu"): [0, 1], topicId("orders-us"): [0, 1]])
        h.setTopics(["orders-eu": 2, "orders-us": 2, "payments": 2, "orders-jp": 3])
        let r2 = h.cgHeartbeat(member: "a", epoch: r.memberEpoch)
        #expect(r2.memberEpoch == r.memberEpoch + 1)
        #expect(r2.assigned?[topicId("orders-jp")] == [0, 1, 2])
        #expect(r2.assigned?[topicId("payments")] == nil)
    }

    @Test func catastrophicPatternDoesNotHang() {
        // A backtracking engine takes seconds on ~20 characters here; topic names may have 249.
        let long = String(repeating: "a", count: 240)
        var h = harness([long: 1, long + "b": 1])
        let r = h.cgHeartbeat(member: "a", epoch: 0, regex: "(a+)+$")
        #expect(r.errorCode == 0)
        #expect(r.assigned == [topicId(long): [0]])
    }

    @Test func partitionsAddedAreAssigned() {
        var h = harness(["t": 2])
        let r = h.cgHeartbeat(member: "a", epoch: 0, topics: ["t"])
        h.setTopics(["t": 4])
        let r2 = h.cgHeartbeat(member: "a", epoch: r.memberEpoch)
        #expect(r2.assigned == [topicId("t"): [0, 1, 2, 3]])
    }

    @Test func rangeAssignorOnRequest() {
        var h = harness(["t": 4])
        _ = h.cgHeartbeat(member: "a", epoch: 0, topics: ["t"], assignor: "range")
        _ = h.cgHeartbeat(member: "b", epoch: 0, topics: ["t"], assignor: "range")
        let g = h.shard.consumerGroups["g"]!
        #expect(g.targetAssignment["a"] == [topicId("t"): [0, 1]])
        #expect(g.targetAssignment["b"] == [topicId("t"): [2, 3]])
    }

    @Test func offsetCommitChecksMemberEpoch() {
        var h = harness()
        h.setTopics(["t": 6])
        let r = h.cgHeartbeat(member: "a", epoch: 0, topics: ["t"])
        #expect(h.commit(member: "a", generation: r.memberEpoch, offsets: [("t", 0, 5)]) == [0])
        #expect(h.commit(member: "a", generation: r.memberEpoch - 1, offsets: [("t", 0, 6)]) == [KafkaError.staleMemberEpoch.rawValue])
        #expect(h.commit(member: "zz", generation: 1, offsets: [("t", 0, 6)]) == [KafkaError.unknownMemberId.rawValue])
        #expect(h.commit(offsets: [("t", 0, 6)]) == [KafkaError.unknownMemberId.rawValue], "admin commits need an empty group")
        #expect(h.commit(member: "a", generation: r.memberEpoch, offsets: [("t", 0, 7)], version: 8) == [KafkaError.unsupportedVersion.rawValue])
        #expect(h.shard.committedOffset(group: "g", topic: "t", partition: 0)?.offset == 5)
        _ = h.cgHeartbeat(member: "a", epoch: -1)
        #expect(h.commit(offsets: [("t", 0, 9)]) == [0], "anyone may commit to an empty group")
    }

    @Test func describeListAndDelete() {
        var h = harness()
        _ = h.cgHeartbeat(member: "a", epoch: 0, topics: ["t"])
        var d = ConsumerGroupDescribeRequest()
        d.groupIds = ["g", "missing"]
        let req = d
        let id = h.send({ .consumerGroupDescribe($0, req) }, version: 1)
        guard case .consumerGroupDescribe(let resp)? = h.take(id) else { Issue.record("no reply"); return }
        #expect(resp.groups.count == 2)
        #expect(resp.groups[0].groupState == "Stable" && resp.groups[0].groupEpoch == 1 && resp.groups[0].assignorName == "uniform")
        #expect(resp.groups[0].members.first?.assignment.topicPartitions.first?.partitions == [0, 1, 2, 3, 4, 5])
        #expect(resp.groups[0].members.first?.memberType == 1)
        #expect(resp.groups[1].errorCode == KafkaError.groupIdNotFound.rawValue)

        var l = ListGroupsRequest()
        l.typesFilter = ["consumer"]
        let lreq = l
        let lid = h.send({ .listGroups($0, lreq) }, version: 5)
        guard case .listGroups(let lr)? = h.take(lid) else { Issue.record("no reply"); return }
        #expect(lr.groups.map(\.groupId) == ["g"] && lr.groups.first?.groupType == "consumer")

        var del = DeleteGroupsRequest()
        del.groupsNames = ["g"]
        let dreq = del
        let did = h.send({ .deleteGroups($0, dreq) }, version: 2)
        #expect(h.take(did)?.errorCode == KafkaError.nonEmptyGroup.rawValue)
        _ = h.cgHeartbeat(member: "a", epoch: -1)
        let did2 = h.send({ .deleteGroups($0, dreq) }, version: 2)
        #expect(h.take(did2)?.errorCode == 0)
        #expect(h.shard.consumerGroups["g"] == nil)
    }

    @Test func emptyGroupWithoutOffsetsIsCleanedUp() {
        var h = harness()
        h.apply(h.shard.onLoaded(now: h.now))
        _ = h.cgHeartbeat(member: "a", epoch: 0, topics: ["t"])
        _ = h.cgHeartbeat(member: "a", epoch: -1)
        #expect(h.shard.consumerGroups["g"] != nil)
        h.advance(by: 600_000)  // offsets.retention.check.interval.ms
        #expect(h.shard.consumerGroups["g"] == nil)
    }

    @Test func classicAndConsumerGroupsDoNotMix() {
        var h = harness()
        _ = h.cgHeartbeat(member: "a", epoch: 0, topics: ["t"])
        // Classic members of the consumer protocol may join (ConsumerGroupMigrationTests); other protocol types not.
        let joinId = h.join(type: "connect")
        #expect(h.joinReply(joinId)?.errorCode == KafkaError.inconsistentGroupProtocol.rawValue)
    }

    @Test func replayRebuildsTheGroup() {
        var h = harness(["t": 6, "u": 3])
        _ = h.cgHeartbeat(member: "a", epoch: 0, topics: ["t"])
        _ = h.cgHeartbeat(member: "b", epoch: 0, topics: ["t", "u"], assignor: "uniform")
        let a = h.cgHeartbeat(member: "a", epoch: 1)
        _ = h.cgHeartbeat(member: "a", epoch: 1, owned: a.assigned)
        _ = h.cgHeartbeat(member: "b", epoch: 2)
        var fresh = GroupCoordinatorShard(memberIds: MemberIdGenerator(seed: 1))
        for (k, v) in h.log { fresh.replay(try! CoordinatorRecord(key: k, value: v)) }
        #expect(fresh.consumerGroups == h.shard.consumerGroups)
    }
}
