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

extension PartitionLeadershipTests {
    /// Fetch v12+ with `LastFetchedEpoch`: a fetcher whose log left this one is told where (DivergingEpoch), with
    /// no records; a follower fetch from a broker that is no replica is refused.
    @Test func divergingEpochsAndNonReplicaFollowers() async throws {
        let tb = try await TestBroker.start()
        let client = try TestClient(port: tb.port)
        try await tb.createTopics(["diverge"], partitions: 1, client: client)
        try await tb.produce("diverge", 0, count: 3, tag: "d", client: client)
        func fetch(offset: Int64, lastEpoch: Int32, replicaId: Int32 = -1) async throws -> FetchResponse.PartitionData {
            var req = try tb.fetchRequest([FetchAsk(topic: "diverge", partition: 0, offset: offset)], version: 12, isolation: 0)
            req.topics[0].partitions[0].lastFetchedEpoch = lastEpoch
            req.replicaId = replicaId
            let resp = try #require(try await client.send(req, version: 12)?.body as? FetchResponse)
            return try #require(resp.responses.first?.partitions.first)
        }
        // Epoch 0 holds offsets 0-2: a fetcher at 3 with epoch 0 is in step, one at 2 reads the last record.
        let inStep = try await fetch(offset: 3, lastEpoch: 0)
        #expect(inStep.errorCode == 0 && inStep.divergingEpoch == FetchResponse.EpochEndOffset() && inStep.highWatermark == 3)
        let reading = try await fetch(offset: 2, lastEpoch: 0)
        #expect(reading.errorCode == 0 && (reading.records?.readableBytes ?? 0) > 0)
        // Ahead of epoch 0's end, or naming an epoch this log never had: diverging at (0, 3), no records.
        for (offset, epoch) in [(Int64(5), Int32(0)), (3, 2)] {
            let d = try await fetch(offset: offset, lastEpoch: epoch)
            #expect(d.errorCode == 0 && d.divergingEpoch.epoch == 0 && d.divergingEpoch.endOffset == 3, "\(offset)@\(epoch)")
            #expect((d.records?.readableBytes ?? 0) == 0 && d.highWatermark == 3)
        }
        let stranger = try await fetch(offset: 0, lastEpoch: -1, replicaId: 7)
        #expect(stranger.errorCode == KafkaError.notLeaderOrFollower.code)
        await tb.stop()
    }
}
