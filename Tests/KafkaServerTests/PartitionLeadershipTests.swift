import KafkaMetadata
import KafkaProtocol
import NIOCore
import Testing
@testable import KafkaServer

@Suite struct PartitionLeadershipTests {
    static let partition = PartitionRegistration(partitionId: 0, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 2, leaderEpoch: 7)

    @Test func kafkasOrderOfChecks() {
        let p = Self.partition
        #expect(PartitionLeadership.check(p, localId: 2) == .none)
        #expect(PartitionLeadership.check(p, localId: 2, currentLeaderEpoch: 7) == .none)
        #expect(PartitionLeadership.check(p, localId: 2, currentLeaderEpoch: 6) == .fencedLeaderEpoch)
        #expect(PartitionLeadership.check(p, localId: 2, currentLeaderEpoch: 8) == .unknownLeaderEpoch)
        #expect(PartitionLeadership.check(p, localId: 1) == .notLeaderOrFollower)
        // The epoch is checked first: a follower told of an older epoch says FENCED, not NOT_LEADER.
        #expect(PartitionLeadership.check(p, localId: 1, currentLeaderEpoch: 3) == .fencedLeaderEpoch)
        #expect(PartitionLeadership.check(p, localId: 1, currentLeaderEpoch: 7) == .notLeaderOrFollower)
    }

    @Test func leaderHintsFollowTheListener() {
        let broker = BrokerRegistration(
            id: 2, epoch: 10, incarnationId: .zero,
            listeners: [.init(name: "INTERNAL", host: "kafka2", port: 29092, securityProtocol: 0),
                        .init(name: "EXTERNAL", host: "localhost", port: 9094, securityProtocol: 0)],
            supportedFeatures: [], rack: "r2", fenced: false, inControlledShutdown: false, logDirectories: [])
        let hint = PartitionLeadership.leaderHint(Self.partition, leader: broker, listener: "EXTERNAL")
        #expect(hint == LeaderHint(leaderId: 2, leaderEpoch: 7, endpoint: .init(host: "localhost", port: 9094, rack: "r2")))
        var offline = Self.partition
        offline.leader = -1
        #expect(PartitionLeadership.leaderHint(offline, leader: nil, listener: "EXTERNAL") == LeaderHint(leaderId: -1, leaderEpoch: -1))
        #expect(PartitionLeadership.carriesLeaderHint(.fencedLeaderEpoch) && !PartitionLeadership.carriesLeaderHint(.unknownLeaderEpoch))
    }

    /// Through the wire on one node: Fetch and ListOffsets with a leader epoch the node does not have yet.
    @Test func futureLeaderEpochsAreUnknown() async throws {
        let tb = try await TestBroker.start()
        let client = try TestClient(port: tb.port)
        try await tb.createTopics(["epochs"], partitions: 1, client: client)
        try await tb.produce("epochs", 0, count: 3, tag: "e", client: client)
        for (epoch, want) in [(Int32(-1), KafkaError.none), (0, .none), (5, .unknownLeaderEpoch)] {
            var req = try tb.fetchRequest([FetchAsk(topic: "epochs", partition: 0)], version: 12, isolation: 0)
            req.topics[0].partitions[0].currentLeaderEpoch = epoch
            let resp = try #require(try await client.send(req, version: 12)?.body as? FetchResponse)
            #expect(resp.responses.first?.partitions.first?.errorCode == want.code, "fetch at epoch \(epoch)")
            var lo = ListOffsetsRequest()
            var t = ListOffsetsRequest.ListOffsetsTopic()
            t.name = "epochs"
            var p = ListOffsetsRequest.ListOffsetsPartition()
            p.partitionIndex = 0
            p.timestamp = -1
            p.currentLeaderEpoch = epoch
            t.partitions = [p]
            lo.topics = [t]
            let offsets = try #require(try await client.send(lo, version: 7)?.body as? ListOffsetsResponse)
            let answer = offsets.topics.first?.partitions.first
            #expect(answer?.errorCode == want.code, "list offsets at epoch \(epoch)")
            if want == .none { #expect(answer?.offset == 3) }
        }
        await tb.stop()
    }
}
