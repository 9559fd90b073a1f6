import KafkaProtocol
import KafkaRaft
import Testing

/// The leader's long-polled Fetch (KIP-595): parked while there is nothing new, answered on new data, on a
/// changed high watermark, or at maxWaitMs.
@Suite struct LongPollTests {
    /// Node 1 leads voters 1-3 in epoch 1, its LeaderChange batch (offset 0) flushed.
    static func leader() -> RaftNode {
        var node = Harness.node(1)
        let start = node.handle(.tick, now: 2_000)
        let voteTo2 = Harness.sends(start).first { $0.to == 2 }!.envelope
        _ = node.handle(.received(from: 2, RaftEnvelope(correlationId: voteTo2.correlationId, message: .voteResponse(
            VoteResponseData(leader: LeaderAndEpoch(leaderId: nil, epoch: 1), voteGranted: true)))), now: 2_001)
        _ = node.handle(.flushed(upTo: 1), now: 2_002)
        return node
    }

    static func fetch(_ replica: Int32, offset: Int64, epoch: Int32, correlationId: Int32) -> RaftEvent {
        .received(from: replica, RaftEnvelope(correlationId: correlationId, message: .fetchRequest(FetchRequestData(
            clusterId: Harness.clusterId, replicaId: replica, maxWaitMs: 500, maxBytes: 1 << 20, currentLeaderEpoch: 1,
            fetchOffset: offset, lastFetchedEpoch: epoch))))
    }

    /// The follower whose fetch makes the majority learns the new high watermark at once, not after its long poll
    /// runs out (found by scripts/bench-cluster.py: a new topic took fetch.max.wait to reach the other brokers).
    @Test func theFetchThatAdvancesTheHighWatermarkIsAnsweredAtOnce() throws {
        var node = Self.leader()
        #expect(node.roleName == .leader)
        #expect(node.highWatermark == nil)
        // Follower 2 fetches at the end (offset 1): that makes a majority for offset 1.
        let first = node.handle(Self.fetch(2, offset: 1, epoch: 1, correlationId: 11), now: 2_010)
        let answer = try #require(Harness.fetchAnswer(first), "the fetch that advanced the high watermark was parked")
        #expect(answer.highWatermark == 1)
        #expect(node.highWatermark == 1)
        // Follower 3 at the same end has not heard of it either: answered at once too (Kafka 3.7 would park it).
        let third = node.handle(Self.fetch(3, offset: 1, epoch: 1, correlationId: 12), now: 2_011)
        #expect(Harness.fetchAnswer(third)?.highWatermark == 1)
        // Now both know it: parked until data, a new high watermark or their deadline.
        let parked3 = node.handle(Self.fetch(3, offset: 1, epoch: 1, correlationId: 13), now: 2_012)
        #expect(Harness.fetchAnswer(parked3) == nil)
        let parked2 = node.handle(Self.fetch(2, offset: 1, epoch: 1, correlationId: 14), now: 2_013)
        #expect(Harness.fetchAnswer(parked2) == nil)
        let due = node.handle(.tick, now: 2_512)
        #expect(Harness.sends(due).filter { if case .fetchResponse = $0.envelope.message { true } else { false } }.map(\.to) == [3])
    }
}
