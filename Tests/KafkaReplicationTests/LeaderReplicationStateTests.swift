import KafkaProtocol
import KafkaReplication
import Testing

/// The leader's rules one event at a time: replicas 1 (leader), 2, 3; min.insync.replicas 2; lag 500 ms.
@Suite struct LeaderReplicationStateTests {
    static let config = ReplicationConfig(minInsyncReplicas: 2, replicaLagTimeMaxMs: 500)

    func leader(isr: [Int32] = [1, 2, 3], leo: Int64 = 10, hw: Int64 = 10, now: Int64 = 1_000) -> LeaderReplicationState {
        LeaderReplicationState(localId: 1, term: PartitionTerm(leader: 1, leaderEpoch: 5, partitionEpoch: 7, replicas: [1, 2, 3], isr: isr),
                               logEndOffset: leo, highWatermark: hw, config: Self.config, now: now)
    }

    @Test func highWatermarkIsTheSmallestIsrLogEndAndNeverGoesBack() throws {
        var l = leader()
        let r1 = l.appended(logEndOffset: 15, now: 1_001)  // followers unknown: it holds
        #expect(r1.isEmpty)
        let r2 = try l.followerFetched(replicaId: 2, fetchOffset: 15, logStartOffset: 0, brokerEpoch: 20, now: 1_002)
        #expect(r2.isEmpty)
        let r3 = try l.followerFetched(replicaId: 3, fetchOffset: 12, logStartOffset: 0, brokerEpoch: 30, now: 1_003)
        #expect(r3 == [.highWatermarkAdvanced(12)])
        let r4 = try l.followerFetched(replicaId: 3, fetchOffset: 15, logStartOffset: 0, brokerEpoch: 30, now: 1_004)
        #expect(r4 == [.highWatermarkAdvanced(15)])
        // A follower that reports less (it truncated, or a stale fetch) does not lower it.
        let r5 = try l.followerFetched(replicaId: 3, fetchOffset: 11, logStartOffset: 0, brokerEpoch: 30, now: 1_005)
        #expect(r5.isEmpty)
        #expect(l.highWatermark == 15)
    }

    @Test func fetchFromANonReplicaIsRefused() {
        var l = leader()
        #expect(throws: KafkaError.notLeaderOrFollower) {
            _ = try l.followerFetched(replicaId: 9, fetchOffset: 0, logStartOffset: 0, brokerEpoch: 1, now: 1_000)
        }
    }

    @Test func acksAllNeedsMinInsyncBeforeAndAfterTheAppend() throws {
        #expect(leader(isr: [1]).checkAppend(requiredAcks: -1) == .notEnoughReplicas)
        #expect(leader(isr: [1]).checkAppend(requiredAcks: 1) == .none)
        #expect(leader(isr: [1, 3]).checkAppend(requiredAcks: -1) == .none)
        // Appended with ISR {1, 3}; 3 then falls out; the record commits with the leader alone.
        var l = leader(isr: [1, 3])
        _ = l.appended(logEndOffset: 11, now: 1_000)
        #expect(l.acksAllStatus(requiredOffset: 11) == .waiting)
        let shrink = l.tick(now: 1_600)
        guard case .sendAlterPartition(let p)? = shrink.first else { Issue.record("no shrink: \(shrink)"); return }
        #expect(p.newIsr == [1] && p.partitionEpoch == 7 && p.leaderEpoch == 5)
        let r6 = l.alterPartitionAnswered(p, .accepted(leaderEpoch: 5, partitionEpoch: 8, isr: [1]))
        #expect(r6 == [.highWatermarkAdvanced(11)])
        #expect(l.acksAllStatus(requiredOffset: 11) == .done(.notEnoughReplicasAfterAppend))
        #expect(l.acksAllStatus(requiredOffset: 12) == .waiting)
    }

    @Test func acksAllCompletesOnlyOnceTheHighWatermarkPassesTheRecord() throws {
        var l = leader()
        _ = l.appended(logEndOffset: 12, now: 1_000)
        _ = try l.followerFetched(replicaId: 2, fetchOffset: 12, logStartOffset: 0, brokerEpoch: 20, now: 1_001)
        _ = try l.followerFetched(replicaId: 3, fetchOffset: 11, logStartOffset: 0, brokerEpoch: 30, now: 1_001)
        #expect(l.highWatermark == 11)
        #expect(l.acksAllStatus(requiredOffset: 11) == .done(.none))  // the record at 10
        #expect(l.acksAllStatus(requiredOffset: 12) == .waiting)      // the record at 11
    }

    @Test func aFollowerJoinsOnlyAtTheHighWatermarkAndTheEpochStart() throws {
        // Leader since offset 10 (its epoch start); 3 is out of the ISR.
        var l = leader(isr: [1, 2], leo: 10, hw: 6)
        _ = try l.followerFetched(replicaId: 2, fetchOffset: 10, logStartOffset: 0, brokerEpoch: 20, now: 1_001)
        #expect(l.highWatermark == 10)
        _ = l.appended(logEndOffset: 20, now: 1_002)
        _ = try l.followerFetched(replicaId: 2, fetchOffset: 14, logStartOffset: 0, brokerEpoch: 20, now: 1_003)
        #expect(l.highWatermark == 14)
        // Below the high watermark: not yet.
        let r7 = try l.followerFetched(replicaId: 3, fetchOffset: 13, logStartOffset: 0, brokerEpoch: 30, now: 1_004)
        #expect(r7.isEmpty)
        let join = try l.followerFetched(replicaId: 3, fetchOffset: 14, logStartOffset: 0, brokerEpoch: 30, now: 1_005)
        guard case .sendAlterPartition(let p)? = join.first else { Issue.record("no expansion: \(join)"); return }
        #expect(p.newIsr == [1, 2, 3] && p.newIsrBrokerEpochs == [-1, 20, 30])
        // While the expansion is in flight the high watermark already waits for 3 (the maximal ISR).
        _ = try l.followerFetched(replicaId: 2, fetchOffset: 20, logStartOffset: 0, brokerEpoch: 20, now: 1_006)
        #expect(l.highWatermark == 14)
        let r8 = l.alterPartitionAnswered(p, .accepted(leaderEpoch: 5, partitionEpoch: 8, isr: [1, 2, 3]))
        #expect(r8.isEmpty)
        #expect(l.isr == [1, 2, 3] && l.partitionEpoch == 8)
    }

    @Test func theEpochStartHoldsBackAFollowerAtTheHighWatermark() throws {
        // A new leader at log end 10 whose high watermark is 6: a follower at 8 has reached the high watermark
        // but not the epoch's first offset, so it may lack records the previous leader committed.
        var l = leader(isr: [1, 2], leo: 10, hw: 6)
        let r9 = try l.followerFetched(replicaId: 3, fetchOffset: 8, logStartOffset: 0, brokerEpoch: 30, now: 1_001)
        #expect(r9.isEmpty)
        let r10 = try l.followerFetched(replicaId: 3, fetchOffset: 10, logStartOffset: 0, brokerEpoch: 30, now: 1_002)
        #expect(r10.count == 1)
    }

    @Test func ineligibleReplicasAreNotProposed() throws {
        var l = LeaderReplicationState(localId: 1, term: PartitionTerm(leader: 1, leaderEpoch: 5, partitionEpoch: 7, replicas: [1, 2, 3], isr: [1, 2]),
                                       logEndOffset: 10, highWatermark: 10, ineligible: [3], config: Self.config, now: 1_000)
        let r11 = try l.followerFetched(replicaId: 3, fetchOffset: 10, logStartOffset: 0, brokerEpoch: 30, now: 1_001)
        #expect(r11.isEmpty)
        _ = l.metadataChanged(PartitionTerm(leader: 1, leaderEpoch: 5, partitionEpoch: 7, replicas: [1, 2, 3], isr: [1, 2]), ineligible: [], now: 1_002)
        let r12 = try l.followerFetched(replicaId: 3, fetchOffset: 10, logStartOffset: 0, brokerEpoch: 30, now: 1_003)
        #expect(r12.count == 1)
    }

    @Test func laggingFollowersLeaveAfterTheLagTime() throws {
        var l = leader()
        _ = l.appended(logEndOffset: 12, now: 1_000)
        _ = try l.followerFetched(replicaId: 2, fetchOffset: 12, logStartOffset: 0, brokerEpoch: 20, now: 1_100)
        let r13 = l.tick(now: 1_500)  // ISR members of a new leader get one lag interval
        #expect(r13.isEmpty)
        let actions = l.tick(now: 1_501)
        guard case .sendAlterPartition(let p)? = actions.first else { Issue.record("no shrink: \(actions)"); return }
        #expect(p.newIsr == [1, 2])
        // One change at a time.
        let r14 = l.tick(now: 2_000)
        #expect(r14.isEmpty)
    }

    @Test func controllerAnswers() throws {
        var l = leader(isr: [1, 2])
        _ = l.appended(logEndOffset: 10, now: 1_000)
        guard case .sendAlterPartition(let p)? = try l.followerFetched(replicaId: 3, fetchOffset: 10, logStartOffset: 0, brokerEpoch: 30, now: 1_001).first else {
            Issue.record("no expansion"); return
        }
        // No answer: the same proposal again.
        let r15 = l.alterPartitionAnswered(p, .unanswered)
        #expect(r15 == [.sendAlterPartition(p)])
        let r16 = l.alterPartitionAnswered(p, .refused(.notController))
        #expect(r16 == [.sendAlterPartition(p)])
        // Out of date: wait for the metadata log, proposing nothing meanwhile.
        let r17 = l.alterPartitionAnswered(p, .refused(.invalidUpdateVersion))
        #expect(r17.isEmpty)
        #expect(l.isrState.isInflight)
        let r18 = try l.followerFetched(replicaId: 3, fetchOffset: 10, logStartOffset: 0, brokerEpoch: 30, now: 1_002)
        #expect(r18.isEmpty)
        // The metadata log's word ends it.
        _ = l.metadataChanged(PartitionTerm(leader: 1, leaderEpoch: 5, partitionEpoch: 9, replicas: [1, 2, 3], isr: [1, 2]), ineligible: [], now: 1_003)
        #expect(!l.isrState.isInflight && l.partitionEpoch == 9)
        // Not attempted: back to the committed ISR, and proposed again on the next fetch.
        guard case .sendAlterPartition(let q)? = try l.followerFetched(replicaId: 3, fetchOffset: 10, logStartOffset: 0, brokerEpoch: 30, now: 1_004).first else {
            Issue.record("no second expansion"); return
        }
        #expect(q.partitionEpoch == 9)
        _ = l.alterPartitionAnswered(q, .refused(.ineligibleReplica))
        #expect(l.isrState == .committed(isr: [1, 2]))
        // An answer to a proposal no longer in flight changes nothing.
        let r19 = l.alterPartitionAnswered(p, .accepted(leaderEpoch: 5, partitionEpoch: 20, isr: [1]))
        #expect(r19.isEmpty)
        #expect(l.isr == [1, 2])
    }

    @Test func aNewLeaderEpochRestartsTheEpoch() throws {
        var l = leader()
        _ = l.appended(logEndOffset: 30, now: 1_000)
        _ = l.metadataChanged(PartitionTerm(leader: 1, leaderEpoch: 6, partitionEpoch: 8, replicas: [1, 2, 3], isr: [1, 2, 3]), ineligible: [], now: 5_000)
        #expect(l.leaderEpoch == 6 && l.epochStartOffset == 30)
        // Both followers got a fresh lag interval from 5000.
        let r20 = l.tick(now: 5_400)
        #expect(r20.isEmpty)
        // An older term changes nothing.
        _ = l.metadataChanged(PartitionTerm(leader: 1, leaderEpoch: 5, partitionEpoch: 12, replicas: [1, 2, 3], isr: [1]), ineligible: [], now: 5_500)
        #expect(l.isr == [1, 2, 3] && l.leaderEpoch == 6)
    }
}
