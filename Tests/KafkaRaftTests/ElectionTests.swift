import KafkaProtocol
import KafkaRaft
import Testing

/// Elections and votes (KIP-595), without I/O.
@Suite struct ElectionTests {
    @Test func votersParseFromControllerQuorumVoters() throws {
        let voters = try QuorumVotersParser.parse("1@localhost:9093, 2@127.0.0.1:9094,3@[::1]:9095")
        #expect(voters == [QuorumVoter(id: 1, host: "localhost", port: 9093), QuorumVoter(id: 2, host: "127.0.0.1", port: 9094),
                           QuorumVoter(id: 3, host: "::1", port: 9095)])
        #expect(throws: QuorumVotersParser.ParseError.duplicateId(1)) { try QuorumVotersParser.parse("1@a:1,1@b:2") }
        #expect(throws: QuorumVotersParser.ParseError.malformedEntry("x@a:1")) { try QuorumVotersParser.parse("x@a:1") }
        #expect(throws: QuorumVotersParser.ParseError.empty) { try QuorumVotersParser.parse("") }
    }

    @Test func singleVoterElectsItselfAndCommitsItsLeaderChange() {
        var node = Harness.node(1, voters: [1])
        let actions = node.handle(.tick, now: 0)
        #expect(node.roleName == .leader && node.epoch == 1)
        #expect(Harness.persisted(actions) == [ElectionState(epoch: 1, votedId: 1), ElectionState(epoch: 1, leaderId: 1)])
        #expect(actions.contains(.becameLeader(epoch: 1)))
        #expect(node.log.batches.count == 1 && node.log.batches[0].isControl)
        // Nothing is committed before the LeaderChangeMessage is durable.
        #expect(Harness.commits(actions).isEmpty)
        let flushed = node.handle(.flushed(upTo: 1), now: 1)
        #expect(Harness.commits(flushed) == [1])
        #expect(node.highWatermark == 1)
    }

    /// Every change of the known leader or epoch is reported, also when the election state names the new leader
    /// before the role changes (a voted node learning the winner, a candidate starting a new epoch).
    @Test func leaderChangesAreReportedOnEveryTransition() {
        var node = Harness.node(1)
        _ = node.handle(.tick, now: 0)
        let voted = node.handle(Harness.vote(2, epoch: 1), now: 1)
        #expect(voted.contains(.leaderChanged(LeaderAndEpoch(leaderId: nil, epoch: 1))))
        let begin = RaftEvent.received(from: 2, RaftEnvelope(correlationId: 8, message: .beginQuorumEpochRequest(
            BeginQuorumEpochRequestData(clusterId: Harness.clusterId, leaderId: 2, leaderEpoch: 1))))
        let followed = node.handle(begin, now: 2)
        #expect(node.roleName == .follower)
        #expect(followed.contains(.leaderChanged(LeaderAndEpoch(leaderId: 2, epoch: 1))))
        // Fetch timeout: a candidate of epoch 2, with no leader.
        let candidate = node.handle(.tick, now: 5_000)
        #expect(node.roleName == .candidate && node.epoch == 2)
        #expect(candidate.contains(.leaderChanged(LeaderAndEpoch(leaderId: nil, epoch: 2))))
    }

    @Test func electionTimeoutIsRandomisedWithinOneToTwoTimeouts() {
        var node = Harness.node(1)
        let actions = node.handle(.tick, now: 0)
        guard case .schedule(let at)? = actions.last else { Issue.record("no schedule"); return }
        #expect(at >= 1000 && at < 2000)
        #expect(node.roleName == .unattached)
        _ = node.handle(.tick, now: at - 1)
        #expect(node.roleName == .unattached)
        let candidate = node.handle(.tick, now: at)
        #expect(node.roleName == .candidate && node.epoch == 1)
        // The vote for itself is persisted before any Vote request goes out.
        let persistIndex = candidate.firstIndex(of: .persistElectionState(ElectionState(epoch: 1, votedId: 1)))
        let firstSend = candidate.firstIndex { if case .send = $0 { return true } else { return false } }
        #expect(persistIndex != nil && firstSend != nil && persistIndex! < firstSend!)
        #expect(Set(Harness.sends(candidate).map(\.to)) == [2, 3])
    }

    @Test func grantsOneVotePerEpochAndPersistsIt() {
        var node = Harness.node(1)
        let first = node.handle(Harness.vote(2, epoch: 3), now: 5)
        #expect(Harness.voteAnswer(first)?.voteGranted == true)
        #expect(Harness.persisted(first).last == ElectionState(epoch: 3, votedId: 2))
        #expect(node.roleName == .voted)
        let second = node.handle(Harness.vote(3, epoch: 3), now: 6)
        #expect(Harness.voteAnswer(second)?.voteGranted == false)
        #expect(Harness.persisted(second).isEmpty)
        // The same candidate asking again gets the same answer.
        #expect(Harness.voteAnswer(node.handle(Harness.vote(2, epoch: 3), now: 7))?.voteGranted == true)
    }

    @Test func refusesACandidateWhoseLogIsBehind() throws {
        var node = Harness.node(1, election: ElectionState(epoch: 2), log: try Harness.log(epochs: [1, 2, 2]))
        let behind = node.handle(Harness.vote(2, epoch: 3, lastOffset: 5, lastEpoch: 1), now: 1)
        #expect(Harness.voteAnswer(behind)?.voteGranted == false)
        #expect(node.epoch == 3 && node.election.votedId == nil)
        let upToDate = node.handle(Harness.vote(3, epoch: 3, lastOffset: 3, lastEpoch: 2), now: 2)
        #expect(Harness.voteAnswer(upToDate)?.voteGranted == true)
    }

    @Test func staleEpochNonVoterAndWrongClusterChangeNothing() {
        var node = Harness.node(1, election: ElectionState(epoch: 5))
        _ = node.handle(.tick, now: 0)
        let before = node.election
        let stale = node.handle(Harness.vote(2, epoch: 4), now: 1)
        #expect(Harness.voteAnswer(stale) == VoteResponseData(partitionError: .fencedLeaderEpoch, leader: LeaderAndEpoch(leaderId: nil, epoch: 5), voteGranted: false))
        let nonVoter = node.handle(Harness.vote(9, epoch: 6), now: 2)
        #expect(Harness.voteAnswer(nonVoter)?.partitionError == .inconsistentVoterSet)
        let otherCluster = node.handle(Harness.vote(2, epoch: 6, cluster: "other"), now: 3)
        #expect(Harness.voteAnswer(otherCluster)?.errorCode == .inconsistentClusterId)
        #expect(node.election == before)
        for actions in [stale, nonVoter, otherCluster] { #expect(Harness.persisted(actions).isEmpty) }
    }

    @Test func candidateWinsWithAMajorityAndAnnouncesItself() {
        var node = Harness.node(1)
        let start = node.handle(.tick, now: 2_000)
        let voteTo2 = Harness.sends(start).first { $0.to == 2 }!.envelope
        let won = node.handle(.received(from: 2, RaftEnvelope(correlationId: voteTo2.correlationId, message: .voteResponse(
            VoteResponseData(leader: LeaderAndEpoch(leaderId: nil, epoch: 1), voteGranted: true)))), now: 2_001)
        #expect(node.roleName == .leader)
        let begins = Harness.sends(won).filter { if case .beginQuorumEpochRequest = $0.envelope.message { return true } else { return false } }
        #expect(Set(begins.map(\.to)) == [2, 3])
        // A response to a request no longer in flight (stale correlation id) is dropped.
        _ = node.handle(.received(from: 3, RaftEnvelope(correlationId: 999, message: .voteResponse(
            VoteResponseData(leader: LeaderAndEpoch(leaderId: nil, epoch: 9), voteGranted: false)))), now: 2_002)
        #expect(node.roleName == .leader && node.epoch == 1)
    }

    @Test func beginQuorumEpochMakesAFollowerAndEndQuorumEpochHurriesTheSuccessor() {
        var node = Harness.node(2)
        let begin = node.handle(.received(from: 1, RaftEnvelope(correlationId: 1, message: .beginQuorumEpochRequest(
            BeginQuorumEpochRequestData(clusterId: Harness.clusterId, leaderId: 1, leaderEpoch: 4)))), now: 10)
        #expect(node.roleName == .follower && node.leaderAndEpoch == LeaderAndEpoch(leaderId: 1, epoch: 4))
        #expect(Harness.persisted(begin) == [ElectionState(epoch: 4, leaderId: 1)])
        _ = node.handle(.received(from: 1, RaftEnvelope(correlationId: 2, message: .endQuorumEpochRequest(
            EndQuorumEpochRequestData(clusterId: Harness.clusterId, leaderId: 1, leaderEpoch: 4, preferredSuccessors: [2, 3])))), now: 20)
        // First preferred successor: no wait, it stands for election at once.
        _ = node.handle(.tick, now: 20)
        #expect(node.roleName == .candidate && node.epoch == 5)
    }
}
