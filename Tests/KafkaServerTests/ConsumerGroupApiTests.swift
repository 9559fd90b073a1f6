import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaServer

/// ConsumerGroupHeartbeat and ConsumerGroupDescribe through a real socket, at every version the broker serves.
@Suite struct ConsumerGroupApiTests {
    @Test(arguments: [Int16(0), 1])
    func joinDescribeLeave(version: Int16) async throws {
        let tb = try await TestBroker.start()
        let client = try TestClient(port: tb.port)
        var create = CreateTopicsRequest()
        var t = CreateTopicsRequest.CreatableTopic()
        t.name = "cg"
        t.numPartitions = 3
        t.replicationFactor = 1
        create.topics = [t]
        _ = try await client.send(create, version: 4)

        var join = ConsumerGroupHeartbeatRequest()
        join.groupId = "g\(version)"
        join.memberId = version == 0 ? "" : "member-a"  // v0 lets the coordinator pick the id
        join.memberEpoch = 0
        join.rebalanceTimeoutMs = 30_000
        join.subscribedTopicNames = ["cg"]
        join.topicPartitions = []
        var joined: ConsumerGroupHeartbeatResponse?
        for _ in 0..<100 {  // __consumer_offsets is created by the first request
            let r = try #require(try await client.send(join, version: version)?.body as? ConsumerGroupHeartbeatResponse)
            if r.errorCode == 0 { joined = r; break }
            #expect([KafkaError.coordinatorNotAvailable.code, KafkaError.coordinatorLoadInProgress.code].contains(r.errorCode))
            try await Task.sleep(for: .milliseconds(20))
        }
        let r = try #require(joined)
        #expect(r.memberEpoch == 1)
        #expect(r.assignment?.topicPartitions.first?.partitions == [0, 1, 2])
        let memberId = try #require(r.memberId)
        #expect(!memberId.isEmpty)

        var describe = ConsumerGroupDescribeRequest()
        describe.groupIds = ["g\(version)", "nope"]
        let d = try #require(try await client.send(describe, version: version)?.body as? ConsumerGroupDescribeResponse)
        #expect(d.groups.count == 2)
        #expect(d.groups[0].groupState == "Stable" && d.groups[0].members.first?.memberId == memberId)
        #expect(d.groups[0].members.first?.assignment.topicPartitions.first?.topicName == "cg")
        #expect(d.groups[1].errorCode == KafkaError.groupIdNotFound.code)

        var leave = ConsumerGroupHeartbeatRequest()
        leave.groupId = "g\(version)"
        leave.memberId = memberId
        leave.memberEpoch = -1
        let left = try #require(try await client.send(leave, version: version)?.body as? ConsumerGroupHeartbeatResponse)
        #expect(left.errorCode == 0 && left.memberEpoch == -1)
        let after = try #require(try await client.send(describe, version: version)?.body as? ConsumerGroupDescribeResponse)
        #expect(after.groups[0].groupState == "Empty")
        await tb.stop()
    }

    /// OffsetCommit and OffsetFetch v10 name topics by id: the shard learns the ids from the metadata image.
    @Test func offsetsByTopicId() async throws {
        let tb = try await TestBroker.start()
        let client = try TestClient(port: tb.port)
        var create = CreateTopicsRequest()
        var t = CreateTopicsRequest.CreatableTopic()
        t.name = "byid"
        t.numPartitions = 2
        t.replicationFactor = 1
        create.topics = [t]
        let created = try #require(try await client.send(create, version: 7)?.body as? CreateTopicsResponse)
        let id = try #require(created.topics.first?.topicId)
        #expect(id != .zero)

        var commit = OffsetCommitRequest()
        commit.groupId = "byid-group"
        var ct = OffsetCommitRequest.OffsetCommitRequestTopic()
        ct.topicId = id
        var cp = OffsetCommitRequest.OffsetCommitRequestPartition()
        cp.partitionIndex = 1
        cp.committedOffset = 42
        ct.partitions = [cp]
        commit.topics = [ct]
        var committed: OffsetCommitResponse?
        for _ in 0..<100 {  // __consumer_offsets is created by the first request
            let r = try #require(try await client.send(commit, version: 10)?.body as? OffsetCommitResponse)
            let code = r.topics.first?.partitions.first?.errorCode
            if code == 0 { committed = r; break }
            #expect([KafkaError.coordinatorNotAvailable.code, KafkaError.coordinatorLoadInProgress.code].contains(code))
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(committed?.topics.first?.topicId == id)

        var fetch = OffsetFetchRequest()
        var g = OffsetFetchRequest.OffsetFetchRequestGroup()
        g.groupId = "byid-group"
        var ft = OffsetFetchRequest.OffsetFetchRequestTopics()
        ft.topicId = id
        ft.partitionIndexes = [1]
        g.topics = [ft]
        fetch.groups = [g]
        let fetched = try #require(try await client.send(fetch, version: 10)?.body as? OffsetFetchResponse)
        #expect(fetched.groups.first?.topics.first?.topicId == id)
        #expect(fetched.groups.first?.topics.first?.partitions.first?.committedOffset == 42)
        await tb.stop()
    }
}
