import KafkaProtocol
import KafkaReplication
import Testing

@Suite struct FetchPositionTests {
    /// The leader's history: epoch 1 at 0, epoch 3 at 10, epoch 4 at 15; log end 20.
    static func leaderEnd(_ epoch: Int32) -> EpochEndOffset? {
        let entries: [(Int32, Int64)] = [(1, 0), (3, 10), (4, 15)]
        guard let i = entries.lastIndex(where: { $0.0 <= epoch }) else { return nil }
        return EpochEndOffset(epoch: entries[i].0, endOffset: i == entries.count - 1 ? 20 : entries[i + 1].1)
    }

    @Test func theLeaderFindsTheDivergence() {
        func check(_ offset: Int64, _ epoch: Int32?) -> FetchPositionCheck {
            FetchPosition.check(fetchOffset: offset, lastFetchedEpoch: epoch, logStartOffset: 0, logEndOffset: 20, endOffsetForEpoch: Self.leaderEnd)
        }
        #expect(check(12, 3) == .valid)
        #expect(check(20, 4) == .valid)
        #expect(check(8, nil) == .valid)  // an old fetcher without the epoch
        // The follower has epoch 3 records past where the leader's epoch 3 ended.
        #expect(check(13, 3) == .valid)
        #expect(check(14, 3) == .valid)
        #expect(check(16, 3) == .diverging(EpochEndOffset(epoch: 3, endOffset: 15)))
        // It has an epoch (2) the leader never had: the leader's epoch below it, where that ends.
        #expect(check(12, 2) == .diverging(EpochEndOffset(epoch: 1, endOffset: 10)))
        #expect(check(21, nil) == .outOfRange)
    }

    @Test func theFollowerTruncatesToTheCommonPoint() {
        // The follower: epoch 1 at 0, epoch 2 at 8; log end 12.
        let followerEnd: (Int32) -> EpochEndOffset? = { e in
            e >= 2 ? EpochEndOffset(epoch: 2, endOffset: 12) : e >= 1 ? EpochEndOffset(epoch: 1, endOffset: 8) : nil
        }
        // The leader says its epoch 1 ends at 10; ours ends at 8: cut at 8.
        let t = FetchPosition.truncation(leader: EpochEndOffset(epoch: 1, endOffset: 10), logEndOffset: 12, highWatermark: 5, endOffsetForEpoch: followerEnd)
        #expect(t == FetchPosition.Truncation(offset: 8, complete: true))
        // The leader's epoch 3 is unknown here: cut to our end of the epoch below (2 -> 12), ask again.
        let u = FetchPosition.truncation(leader: EpochEndOffset(epoch: 3, endOffset: 9), logEndOffset: 12, highWatermark: 5, endOffsetForEpoch: followerEnd)
        #expect(u == FetchPosition.Truncation(offset: 12, complete: false))
        // Nothing in common the leader knows of: to the high watermark.
        let v = FetchPosition.truncation(leader: EpochEndOffset(epoch: -1, endOffset: -1), logEndOffset: 12, highWatermark: 5, endOffsetForEpoch: followerEnd)
        #expect(v == FetchPosition.Truncation(offset: 5, complete: true))
    }

    @Test func aFollowersHighWatermarkOnlyRisesExceptOnTruncation() {
        var hw = FollowerHighWatermark(4)
        let raised = hw.leaderReported(9, logEndOffset: 7)
        #expect(raised && hw.value == 7)
        let lowered = hw.leaderReported(3, logEndOffset: 7)
        #expect(!lowered && hw.value == 7)
        hw.truncated(to: 5)
        #expect(hw.value == 5)
    }

    @Test func pendingAcksCompleteInOrderAndExpire() throws {
        var l = LeaderReplicationState(localId: 1, term: PartitionTerm(leader: 1, leaderEpoch: 1, partitionEpoch: 1, replicas: [1, 2], isr: [1, 2]),
                                       logEndOffset: 0, highWatermark: 0, config: ReplicationConfig(minInsyncReplicas: 2), now: 0)
        var acks = PendingAcks<Int>()
        _ = l.appended(logEndOffset: 3, now: 1)
        acks.add(1, requiredOffset: 1, deadline: 100)
        acks.add(2, requiredOffset: 3, deadline: 50)
        _ = try l.followerFetched(replicaId: 2, fetchOffset: 2, logStartOffset: 0, brokerEpoch: 1, now: 2)
        #expect(acks.complete(l).map(\.key) == [1])
        #expect(acks.nextDeadline == 50)
        #expect(acks.expire(now: 49).isEmpty)
        let expired = acks.expire(now: 50)
        #expect(expired.map(\.key) == [2] && expired.first?.error == .requestTimedOut)
        #expect(acks.isEmpty)
    }

    /// A retried idempotent batch waits at its original offsets, below produces already waiting (found by the
    /// network-partition test: the leader trapped on an ordering precondition).
    @Test func aRetriedBatchWaitingBelowOthersCompletesFirst() throws {
        var l = LeaderReplicationState(localId: 1, term: PartitionTerm(leader: 1, leaderEpoch: 1, partitionEpoch: 1, replicas: [1, 2], isr: [1, 2]),
                                       logEndOffset: 0, highWatermark: 0, config: ReplicationConfig(minInsyncReplicas: 2), now: 0)
        var acks = PendingAcks<Int>()
        _ = l.appended(logEndOffset: 10, now: 1)
        acks.add(1, requiredOffset: 10, deadline: 100)
        acks.add(2, requiredOffset: 4, deadline: 100)
        acks.add(3, requiredOffset: 10, deadline: 100)
        _ = try l.followerFetched(replicaId: 2, fetchOffset: 5, logStartOffset: 0, brokerEpoch: 1, now: 2)
        #expect(acks.complete(l).map(\.key) == [2])
        _ = try l.followerFetched(replicaId: 2, fetchOffset: 10, logStartOffset: 0, brokerEpoch: 1, now: 3)
        #expect(acks.complete(l).map(\.key) == [1, 3])
    }
}
