import KafkaProtocol

/// Role changes. Each persists the election state first when it changes (KIP-595: a node must not send
/// anything that depends on its vote or epoch before that is durable) and forgets requests in flight.
extension RaftNode {
    mutating func setElection(_ new: ElectionState) {
        guard new != election else { return }
        // The leader and epoch of a non-leader role come from the election state: remember what they were before
        // this transition, or `setRole` would compare the new state with itself and report no change.
        if leaderBeforeTransition == nil { leaderBeforeTransition = leaderAndEpoch }
        election = new
        actions.append(.persistElectionState(new))
    }

    mutating func setRole(_ new: Role) {
        let before = leaderBeforeTransition ?? leaderAndEpoch
        leaderBeforeTransition = nil
        if case .leader = role {
            switch new {
            case .leader: break
            default: actions.append(.resignedLeadership(epoch: election.epoch))
            }
        }
        role = new
        requests.reset()
        let after = leaderAndEpoch
        if after != before { actions.append(.leaderChanged(after)) }
    }

    mutating func transitionToUnattached(epoch: Int32) {
        // Like Kafka's QuorumState, a voter that was already waiting for an election keeps its remaining time:
        // otherwise a candidate with a short log, bumping the epoch after each lost vote, would keep restarting
        // the timer of the voter that could win, for ever.
        let deadline: Int64
        switch role {
        case .unattached(let u): deadline = u.electionDeadline
        case .candidate(let c): deadline = c.electionDeadline
        default: deadline = now + randomElectionTimeout()
        }
        setElection(ElectionState(epoch: epoch))
        setRole(.unattached(UnattachedState(electionDeadline: deadline)))
    }

    mutating func transitionToVoted(candidate: Int32) {
        setElection(ElectionState(epoch: election.epoch, votedId: candidate))
        setRole(.unattached(UnattachedState(electionDeadline: now + randomElectionTimeout())))
    }

    mutating func transitionToFollower(epoch: Int32, leader: Int32) {
        setElection(ElectionState(epoch: epoch, leaderId: leader))
        setRole(.follower(FollowerState(leaderId: leader, fetchDeadline: now + config.fetchTimeoutMs)))
    }

    mutating func transitionToCandidate() {
        var retries = 1
        if case .candidate(let c) = role { retries = c.retries + 1 }
        setElection(ElectionState(epoch: election.epoch + 1, votedId: config.nodeId))
        setRole(.candidate(CandidateState(granted: [config.nodeId], rejected: [], retries: retries,
                                          electionDeadline: now + randomElectionTimeout(), backoffUntil: nil)))
        if config.majority <= 1 { transitionToLeader() }
    }

    mutating func transitionToLeader() {
        guard case .candidate(let c) = role else { return }
        setElection(ElectionState(epoch: election.epoch, leaderId: config.nodeId))
        let epochStart = log.endOffset
        var voters: [Int32: ReplicaProgress] = [:]
        for id in config.voterIds where id != config.nodeId { voters[id] = ReplicaProgress() }
        setRole(.leader(LeaderState(epochStartOffset: epochStart, highWatermark: nil, voters: voters, grantingVoters: c.granted,
                                    beginAcked: [config.nodeId], checkQuorumDeadline: now + config.checkQuorumTimeoutMs)))
        actions.append(.becameLeader(epoch: election.epoch))
        // KIP-595: the new leader's first entry is a LeaderChangeMessage; the high watermark waits for it.
        do {
            let batch = try LogBatch.leaderChange(leaderId: config.nodeId, voters: config.voterIds,
                                                  grantingVoters: c.granted.sorted(), baseOffset: epochStart,
                                                  epoch: election.epoch, timestamp: now)
            appendLocally(batch)
        } catch {
            actions.append(.fatal("cannot build the LeaderChangeMessage: \(error)"))
        }
    }

    /// The leader steps down (graceful shutdown or lost check quorum) and tells the voters with EndQuorumEpoch.
    mutating func resign() {
        guard case .leader(let l) = role else { return }
        let successors = l.voters.sorted { ($0.value.endOffset ?? -1, $1.key) > ($1.value.endOffset ?? -1, $0.key) }.map(\.key)
        setRole(.resigned(ResignedState(electionDeadline: now + randomElectionTimeout(),
                                        unacked: Set(config.voterIds.filter { $0 != config.nodeId }),
                                        preferredSuccessors: successors)))
    }

    /// Kafka's `maybeTransition`: a message names a leader and epoch; move to it if it is newer.
    mutating func maybeTransition(leaderId: Int32?, epoch: Int32) {
        if epoch < election.epoch { return }
        if leaderId == config.nodeId {
            // Only this node can be its own leader, and only by election; a stale message about us changes nothing.
            return
        }
        if epoch > election.epoch {
            if let leaderId { transitionToFollower(epoch: epoch, leader: leaderId) } else { transitionToUnattached(epoch: epoch) }
            return
        }
        guard let leaderId else { return }
        switch role {
        case .follower(let f):
            if f.leaderId != leaderId { actions.append(.fatal("two leaders in epoch \(epoch): \(f.leaderId) and \(leaderId)")) }
        case .leader:
            actions.append(.fatal("node \(leaderId) claims epoch \(epoch), which this node leads"))
        case .unattached, .candidate, .resigned:
            transitionToFollower(epoch: epoch, leader: leaderId)
        }
    }

    /// Kafka's `maybeHandleCommonResponse`: a response names a newer epoch or the leader of ours. True when
    /// the response was about that and needs nothing else.
    mutating func handleCommonResponse(error: KafkaError, leader: LeaderAndEpoch) -> Bool {
        if leader.epoch > election.epoch || (leader.epoch == election.epoch && leader.leaderId != nil && leaderAndEpoch.leaderId == nil) {
            maybeTransition(leaderId: leader.leaderId, epoch: leader.epoch)
            return true
        }
        switch error {
        case .fencedLeaderEpoch, .notLeaderOrFollower, .unknownLeaderEpoch, .inconsistentVoterSet, .inconsistentClusterId, .invalidRequest:
            return true
        default:
            return false
        }
    }

    // MARK: - Validation shared by the handlers

    func hasValidClusterId(_ id: String?) -> Bool {
        // Kafka accepts a request without a cluster id (older versions) and the empty id as unset.
        guard let id, !id.isEmpty else { return true }
        return id == config.clusterId
    }

    /// Kafka's `validateVoterOnlyRequest`.
    func validateVoterOnlyRequest(remoteId: Int32, epoch: Int32) -> KafkaError? {
        if remoteId < 0 { return .invalidRequest }
        if !config.isVoter || config.voters[remoteId] == nil { return .inconsistentVoterSet }
        if epoch < election.epoch { return .fencedLeaderEpoch }
        return nil
    }

    /// Kafka's `validateLeaderOnlyRequest`.
    func validateLeaderOnlyRequest(epoch: Int32) -> KafkaError? {
        if epoch < election.epoch { return .fencedLeaderEpoch }
        if epoch > election.epoch { return .unknownLeaderEpoch }
        if !isLeader { return .notLeaderOrFollower }
        return nil
    }
}
