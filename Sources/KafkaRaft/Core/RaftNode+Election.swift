import KafkaProtocol

/// Vote, BeginQuorumEpoch and EndQuorumEpoch (KIP-595).
extension RaftNode {
    /// A vote request from a non-voter, with a stale epoch or for another cluster changes nothing.
    mutating func handleVoteRequest(_ r: VoteRequestData) -> VoteResponseData {
        guard hasValidClusterId(r.clusterId) else {
            return VoteResponseData(errorCode: .inconsistentClusterId, leader: leaderAndEpoch, voteGranted: false)
        }
        if let error = validateVoterOnlyRequest(remoteId: r.candidateId, epoch: r.candidateEpoch) {
            return VoteResponseData(partitionError: error, leader: leaderAndEpoch, voteGranted: false)
        }
        if r.candidateEpoch > election.epoch { transitionToUnattached(epoch: r.candidateEpoch) }
        let candidateLog = OffsetAndEpoch(offset: r.lastOffset, epoch: r.lastOffsetEpoch)
        let upToDate = candidateLog >= log.endOffsetAndEpoch
        var granted = false
        switch role {
        case .unattached:
            if let voted = election.votedId {
                granted = voted == r.candidateId
            } else if upToDate {
                granted = true
                transitionToVoted(candidate: r.candidateId)
            }
        case .candidate, .leader, .follower, .resigned:
            // A candidate voted for itself; a leader, follower or resigned leader knows this epoch's leader.
            granted = false
        }
        return VoteResponseData(leader: leaderAndEpoch, voteGranted: granted)
    }

    mutating func handleVoteResponse(from: Int32, _ r: VoteResponseData) {
        if r.errorCode != .none { requests.backoff(from, now: now); return }
        if handleCommonResponse(error: r.partitionError, leader: r.leader) { return }
        guard r.partitionError == .none, case .candidate(var c) = role, r.leader.epoch == election.epoch else { return }
        if r.voteGranted { c.granted.insert(from) } else { c.rejected.insert(from) }
        role = .candidate(c)
        if c.granted.count >= config.majority {
            transitionToLeader()
        } else if c.rejected.count >= config.majority, c.backoffUntil == nil {
            startBackoff()
        }
    }

    /// Kafka's binary exponential election backoff: base * random(0 ..< 2^retries), capped.
    mutating func startBackoff() {
        guard case .candidate(var c) = role else { return }
        let shift = min(c.retries, 20)
        let slots = Int64(1) << shift
        let backoff = min(config.electionBackoffBaseMs * Int64.random(in: 0..<slots, using: &rng), config.electionBackoffMaxMs)
        c.backoffUntil = now + backoff
        role = .candidate(c)
    }

    mutating func handleBeginQuorumEpoch(_ r: BeginQuorumEpochRequestData) -> QuorumEpochResponseData {
        guard hasValidClusterId(r.clusterId) else { return QuorumEpochResponseData(errorCode: .inconsistentClusterId, leader: leaderAndEpoch) }
        if let error = validateVoterOnlyRequest(remoteId: r.leaderId, epoch: r.leaderEpoch) {
            return QuorumEpochResponseData(partitionError: error, leader: leaderAndEpoch)
        }
        maybeTransition(leaderId: r.leaderId, epoch: r.leaderEpoch)
        return QuorumEpochResponseData(leader: leaderAndEpoch)
    }

    mutating func handleBeginQuorumEpochResponse(from: Int32, _ r: QuorumEpochResponseData) {
        if r.errorCode != .none { requests.backoff(from, now: now); return }
        if r.partitionError == .none, r.leader.epoch == election.epoch, case .leader(var l) = role {
            l.beginAcked.insert(from)
            role = .leader(l)
            return
        }
        if handleCommonResponse(error: r.partitionError, leader: r.leader) { requests.backoff(from, now: now) }
    }

    mutating func handleEndQuorumEpoch(_ r: EndQuorumEpochRequestData) -> QuorumEpochResponseData {
        guard hasValidClusterId(r.clusterId) else { return QuorumEpochResponseData(errorCode: .inconsistentClusterId, leader: leaderAndEpoch) }
        if let error = validateVoterOnlyRequest(remoteId: r.leaderId, epoch: r.leaderEpoch) {
            return QuorumEpochResponseData(partitionError: error, leader: leaderAndEpoch)
        }
        maybeTransition(leaderId: r.leaderId, epoch: r.leaderEpoch)
        if case .follower(var f) = role, f.leaderId == r.leaderId, r.leaderEpoch == election.epoch {
            // The first preferred successor stands at once; the others wait longer the further down they are.
            f.fetchDeadline = min(f.fetchDeadline, now + endEpochElectionBackoff(r.preferredSuccessors))
            role = .follower(f)
        }
        return QuorumEpochResponseData(leader: leaderAndEpoch)
    }

    func endEpochElectionBackoff(_ successors: [Int32]) -> Int64 {
        guard let position = successors.firstIndex(of: config.nodeId) else { return config.electionBackoffMaxMs }
        if position == 0 { return 0 }
        return min(config.electionBackoffBaseMs << Int64(min(position - 1, 20)), config.electionBackoffMaxMs)
    }

    mutating func handleEndQuorumEpochResponse(from: Int32, _ r: QuorumEpochResponseData) {
        if r.errorCode != .none { requests.backoff(from, now: now); return }
        if case .resigned(var s) = role, r.partitionError == .none || r.leader.epoch >= election.epoch {
            s.unacked.remove(from)
            role = .resigned(s)
        }
        _ = handleCommonResponse(error: r.partitionError, leader: r.leader)
    }
}
