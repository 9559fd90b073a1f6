import KafkaProtocol

/// ISR changes: expansion on fetch, shrinking on the clock, the controller's answers and published metadata.
extension LeaderReplicationState {
    /// The clock: proposes removing ISR members that have not caught up within `replica.lag.time.max.ms`
    /// (Kafka checks every half lag interval; the driver decides how often to call).
    /// Whether `tick` can have anything to do: only an ISR with another replica than this one can shrink.
    public var mayShrinkIsr: Bool {
        guard case .committed(let current) = isrState else { return false }
        return current.contains { $0 != localId }
    }

    public mutating func tick(now: Int64) -> [ReplicationAction] {
        guard case .committed(let current) = isrState else { return [] }
        let lagging = current.filter { id in
            guard id != localId else { return false }
            guard let f = followers[id] else { return true }  // no longer a replica
            return !f.isCaughtUp(leaderEndOffset: logEndOffset, now: now, maxLagMs: config.replicaLagTimeMaxMs)
        }
        guard !lagging.isEmpty else { return [] }
        let proposal = propose(current.filter { !lagging.contains($0) })
        isrState = .pendingShrink(isr: current, removing: lagging, proposal: proposal)
        return [.sendAlterPartition(proposal)]
    }

    /// A follower that has reached the high watermark and this epoch's start, and that the controller would
    /// accept, is proposed for the ISR.
    mutating func maybeExpandIsr(_ id: Int32) -> [ReplicationAction] {
        guard case .committed(let current) = isrState, !current.contains(id), replicas.contains(id),
              !ineligible.contains(id), let f = followers[id],
              f.logEndOffset >= highWatermark, f.logEndOffset >= epochStartOffset else { return [] }
        let proposal = propose(current + [id])
        isrState = .pendingExpand(isr: current, adding: id, proposal: proposal)
        return [.sendAlterPartition(proposal)]
    }

    private func propose(_ newIsr: [Int32]) -> AlterPartitionProposal {
        AlterPartitionProposal(
            leaderEpoch: leaderEpoch, partitionEpoch: partitionEpoch, newIsr: newIsr,
            newIsrBrokerEpochs: newIsr.map { $0 == localId ? -1 : followers[$0]?.brokerEpoch ?? -1 })
    }

    /// The controller answered `proposal` (Kafka's `handleAlterPartitionUpdate` / `handleAlterPartitionError`).
    /// An answer to anything but the proposal in flight is stale and ignored.
    public mutating func alterPartitionAnswered(_ proposal: AlterPartitionProposal, _ answer: AlterPartitionAnswer) -> [ReplicationAction] {
        guard isrState.proposal == proposal else { return [] }
        switch answer {
        case .accepted(let epoch, let pEpoch, let newIsr):
            // An answer for another leader epoch, or older than what we hold, waits for the metadata log to say
            // what is true; the proposal stays in flight until then, so nothing else is proposed meanwhile.
            guard epoch == leaderEpoch, pEpoch >= partitionEpoch else { return [] }
            partitionEpoch = pEpoch
            isrState = .committed(isr: newIsr)
            return maybeIncrementHighWatermark()
        case .refused(.operationNotAttempted), .refused(.ineligibleReplica):
            // Not attempted: the committed ISR stands and may be proposed again.
            isrState = .committed(isr: isrState.isr)
            return maybeIncrementHighWatermark()
        case .refused(.unknownTopicOrPartition), .refused(.unknownTopicId), .refused(.fencedLeaderEpoch),
             .refused(.invalidUpdateVersion):
            // Our view is out of date: wait for the metadata log's next word on this partition.
            return []
        case .refused, .unanswered:
            return [.sendAlterPartition(proposal)]
        }
    }

    /// The metadata log published `term` for this partition, still led by this node. A newer leader epoch
    /// restarts the epoch (followers get a fresh lag interval, the epoch start moves to the log end); a newer
    /// partition epoch at the same leader epoch replaces the ISR, ending any change in flight. Older terms, and
    /// the one we hold, change nothing.
    public mutating func metadataChanged(_ term: PartitionTerm, ineligible: Set<Int32>, now: Int64) -> [ReplicationAction] {
        precondition(term.leader == localId, "metadataChanged for a term led by \(term.leader) on \(localId)")
        self.ineligible = ineligible
        let newEpoch = term.leaderEpoch > leaderEpoch
        guard newEpoch || (term.leaderEpoch == leaderEpoch && term.partitionEpoch > partitionEpoch) else { return [] }
        if newEpoch {
            leaderEpoch = term.leaderEpoch
            epochStartOffset = logEndOffset
        }
        partitionEpoch = term.partitionEpoch
        replicas = term.replicas
        isrState = .committed(isr: term.isr)
        var next: [Int32: FollowerProgress] = [:]
        for r in term.replicas where r != localId {
            var f = followers[r] ?? FollowerProgress(inSync: term.isr.contains(r), now: now)
            if newEpoch { f.lastCaughtUpTimeMs = term.isr.contains(r) ? now : 0 }
            next[r] = f
        }
        followers = next
        return maybeIncrementHighWatermark()
    }
}
