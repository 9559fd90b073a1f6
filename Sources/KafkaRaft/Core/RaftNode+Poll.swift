/// The per-role timers and sends, run after every event (Kafka's `poll`), and the next time to be woken.
extension RaftNode {
    mutating func poll() {
        // A transition can make another role's work due at once (a candidate sends its votes); a few rounds settle it.
        for _ in 0..<4 {
            let before = role
            switch role {
            case .leader: pollLeader()
            case .follower: pollFollower()
            case .candidate(let c): pollCandidate(c)
            case .unattached(let u):
                if config.isVoter {
                    if now >= u.electionDeadline || config.majority <= 1 && config.voters.count == 1 { transitionToCandidate() }
                } else {
                    pollObserverWithoutLeader()
                }
            case .resigned(let s): pollResigned(s)
            }
            if role == before { break }
        }
    }

    mutating func pollCandidate(_ c: CandidateState) {
        if let until = c.backoffUntil {
            if now >= until { transitionToCandidate() }
            return
        }
        if now >= c.electionDeadline {
            startBackoff()
            return
        }
        let request = VoteRequestData(clusterId: config.clusterId, candidateEpoch: election.epoch, candidateId: config.nodeId,
                                      lastOffsetEpoch: log.lastEpoch, lastOffset: log.endOffset)
        for id in config.voterIds where id != config.nodeId && !c.granted.contains(id) && !c.rejected.contains(id) {
            if requests.isReady(id, now: now) { actions.append(requests.send(to: id, .voteRequest(request), now: now)) }
        }
    }

    mutating func pollResigned(_ s: ResignedState) {
        if now >= s.electionDeadline {
            transitionToCandidate()
            return
        }
        let request = EndQuorumEpochRequestData(clusterId: config.clusterId, leaderId: config.nodeId, leaderEpoch: election.epoch,
                                                preferredSuccessors: s.preferredSuccessors)
        for id in s.unacked.sorted() where requests.isReady(id, now: now) {
            actions.append(requests.send(to: id, .endQuorumEpochRequest(request), now: now))
        }
    }

    /// The earliest time something is due: a timer of the role, a parked fetch, a request that may time out or be
    /// retried.
    func nextDeadline() -> Int64 {
        var t = Int64.max
        func consider(_ x: Int64?) { if let x { t = min(t, max(x, now + 1)) } }
        switch role {
        case .unattached(let u):
            if config.isVoter { consider(u.electionDeadline) }
        case .candidate(let c):
            consider(c.backoffUntil ?? c.electionDeadline)
        case .leader(let l):
            consider(l.pending.deadline)
            if config.majority > 1 { consider(l.checkQuorumDeadline) }
            for p in l.parked.values { consider(p.deadline) }
        case .follower(let f):
            consider(f.fetchDeadline)
        case .resigned(let s):
            consider(s.electionDeadline)
        }
        for id in requests.connections.keys where requests.readyTime(id) > now { consider(requests.readyTime(id)) }
        if !config.isVoter, case .unattached = role { consider(now + config.retryBackoffMs) }
        return t == Int64.max ? now + config.fetchTimeoutMs : t
    }
}
