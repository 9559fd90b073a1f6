import KafkaProtocol

/// Pull-based replication (KIP-595 Fetch): the leader validates the fetcher's position against its epoch cache
/// and answers records, a diverging epoch, or a snapshot id; the follower appends, truncates or downloads.
extension RaftNode {
    enum FetchPosition {
        case valid
        case diverging(OffsetAndEpoch)
        case snapshot(SnapshotId)
    }

    /// Kafka's `validateOffsetAndEpoch` of the metadata log.
    func validateFetchPosition(offset: Int64, lastFetchedEpoch: Int32) -> FetchPosition {
        if offset == 0 && lastFetchedEpoch == 0 {
            if log.startOffset > 0, let snapshot = latestSnapshot { return .snapshot(snapshot) }
            return .valid
        }
        if let snapshot = latestSnapshot, log.startOffset > 0 {
            if offset < log.startOffset || (offset == log.startOffset && lastFetchedEpoch != snapshot.epoch)
                || lastFetchedEpoch < snapshot.epoch {
                return .snapshot(snapshot)
            }
        }
        guard let end = log.endOffsetForEpoch(lastFetchedEpoch) else {
            return .diverging(OffsetAndEpoch(offset: log.startOffset, epoch: log.startEpoch ?? 0))
        }
        if end.epoch != lastFetchedEpoch || end.offset < offset { return .diverging(end) }
        return .valid
    }

    func emptyFetchResponse(_ error: KafkaError = .none, topLevel: Bool = false) -> FetchResponseData {
        FetchResponseData(errorCode: topLevel ? error : .none, partitionError: topLevel ? .none : error,
                          highWatermark: highWatermark ?? -1, logStartOffset: log.startOffset, currentLeader: leaderAndEpoch)
    }

    mutating func handleFetchRequest(from: Int32, _ cid: Int32, _ r: FetchRequestData) {
        guard hasValidClusterId(r.clusterId) else {
            respond(to: from, cid, .fetchResponse(emptyFetchResponse(.inconsistentClusterId, topLevel: true)))
            return
        }
        if r.fetchOffset < 0 || r.lastFetchedEpoch < 0 || r.lastFetchedEpoch > r.currentLeaderEpoch {
            respond(to: from, cid, .fetchResponse(emptyFetchResponse(.invalidRequest)))
            return
        }
        if let error = validateLeaderOnlyRequest(epoch: r.currentLeaderEpoch) {
            respond(to: from, cid, .fetchResponse(emptyFetchResponse(error)))
            return
        }
        if let response = leaderFetchResponse(r, park: true, correlationId: cid) {
            respond(to: from, cid, .fetchResponse(response))
        }
    }

    /// The leader's answer, or nil when the request was parked to wait for data (long poll).
    mutating func leaderFetchResponse(_ r: FetchRequestData, park: Bool, correlationId: Int32 = 0) -> FetchResponseData? {
        guard case .leader = role else { return emptyFetchResponse(.notLeaderOrFollower) }
        var response = emptyFetchResponse()
        switch validateFetchPosition(offset: r.fetchOffset, lastFetchedEpoch: r.lastFetchedEpoch) {
        case .snapshot(let id):
            response.snapshotId = id
            noteVoterContact(r.replicaId)
        case .diverging(let end):
            response.divergingEpoch = end
            noteVoterContact(r.replicaId)
        case .valid:
            // Parked against the high watermark this replica was last told, not the current one: when this very
            // fetch advanced it (the first follower to reach the new end makes the majority of three), or an
            // earlier one did after this replica's last response, the poll after it completes the request at once.
            // Parking against the current value left the other followers unaware of the commit until their long
            // poll ran out (measured: a new topic reached the other brokers' Metadata 500 ms, fetch.max.wait,
            // after the CreateTopics reply). Kafka 3.7 has that delay; KIP-1166 fixes it with the high watermark
            // in the request, which the Kafka 3.7 wire form does not carry.
            updateReplica(r.replicaId, fetchOffset: r.fetchOffset)
            response.highWatermark = leaderHighWatermark ?? -1
            let batches = log.read(from: r.fetchOffset, maxBytes: Int(min(r.maxBytes, config.fetchMaxBytes)))
            if batches.isEmpty && park && r.maxWaitMs > 0, case .leader(var l) = role {
                l.parked[r.replicaId] = ParkedFetch(correlationId: correlationId, request: r, deadline: now + Int64(r.maxWaitMs),
                                                    highWatermarkWhenParked: l.progress(of: r.replicaId)?.highWatermarkSent)
                role = .leader(l)
                return nil
            }
            response.records = batches
        }
        response.highWatermark = leaderHighWatermark ?? -1
        if case .leader(var l) = role {
            let sent = l.highWatermark
            l.updateProgress(of: r.replicaId) { $0.highWatermarkSent = sent }
            role = .leader(l)
        }
        return response
    }

    /// A valid fetch at `fetchOffset` proves the replica holds the log up to there.
    mutating func updateReplica(_ id: Int32, fetchOffset: Int64) {
        guard case .leader(var l) = role, id != config.nodeId else { return }
        let caughtUp = fetchOffset >= log.endOffset
        if config.voters[id] != nil {
            var p = l.voters[id] ?? ReplicaProgress()
            p.endOffset = max(p.endOffset ?? -1, fetchOffset)
            p.lastFetchMs = now
            if caughtUp { p.lastCaughtUpMs = now }
            l.voters[id] = p
        } else {
            var p = l.observers[id] ?? ReplicaProgress()
            p.endOffset = fetchOffset
            p.lastFetchMs = now
            if caughtUp { p.lastCaughtUpMs = now }
            l.observers[id] = p
        }
        role = .leader(l)
        noteVoterContact(id)
        updateLeaderHighWatermark()
    }

    // MARK: - Follower and observer side

    func makeFetchRequest() -> FetchRequestData {
        FetchRequestData(clusterId: config.clusterId, replicaId: config.nodeId, maxWaitMs: config.fetchMaxWaitMs,
                         maxBytes: config.fetchMaxBytes, currentLeaderEpoch: election.epoch,
                         fetchOffset: log.endOffset, lastFetchedEpoch: log.lastEpoch)
    }

    mutating func handleFetchResponse(from: Int32, _ r: FetchResponseData) {
        if r.errorCode != .none { requests.backoff(from, now: now); return }
        if handleCommonResponse(error: r.partitionError, leader: r.currentLeader) { requests.backoff(from, now: now); return }
        guard r.partitionError == .none, case .follower(var f) = role, f.leaderId == from, r.currentLeader.epoch == election.epoch else {
            return
        }
        f.fetchDeadline = now + config.fetchTimeoutMs
        if let diverging = r.divergingEpoch {
            // Kafka's `truncateToEndOffset`: cut at the smaller of the leader's end for that epoch and ours.
            let local = log.endOffsetForEpoch(diverging.epoch)?.offset ?? log.startOffset
            let target = min(diverging.offset, local)
            if target < committed {
                actions.append(.fatal("leader \(from) asked to truncate to \(target), below the high watermark \(committed)"))
                return
            }
            let end = (try? log.truncate(to: max(target, log.startOffset))) ?? log.endOffset
            flushedEnd = min(flushedEnd, end)
            flushRequested = min(flushRequested, end)
            actions.append(.truncateLog(to: end))
            f.leaderHighWatermark = r.highWatermark >= 0 ? r.highWatermark : f.leaderHighWatermark
            role = .follower(f)
            updateFollowerHighWatermark()
            return
        }
        if let snapshot = r.snapshotId {
            f.download = SnapshotDownload(id: snapshot)
            role = .follower(f)
            return
        }
        for batch in r.records {
            guard batch.baseOffset == log.endOffset else { break }
            appendLocally(batch)
        }
        if r.highWatermark >= 0 { f.leaderHighWatermark = r.highWatermark }
        role = .follower(f)
        updateFollowerHighWatermark()
    }

    /// A follower's high watermark: the leader's, capped at what this node holds durably and has matched against
    /// the leader in this epoch.
    mutating func updateFollowerHighWatermark() {
        guard case .follower(let f) = role, let leaderHW = f.leaderHighWatermark else { return }
        let offset = min(leaderHW, flushedEnd, log.endOffset)
        if let hw = highWatermark, offset <= hw {
            if leaderHW < hw { actions.append(.fatal("leader \(f.leaderId) high watermark \(leaderHW) is below ours, \(hw)")) }
            return
        }
        advanceCommitted(to: offset)
    }

    mutating func pollFollower() {
        guard case .follower(let f) = role else { return }
        if now >= f.fetchDeadline {
            if config.isVoter { transitionToCandidate() } else { transitionToUnattached(epoch: election.epoch) }
            return
        }
        guard requests.isReady(f.leaderId, now: now) else { return }
        if let download = f.download {
            actions.append(requests.send(to: f.leaderId, .fetchSnapshotRequest(FetchSnapshotRequestData(
                clusterId: config.clusterId, replicaId: config.nodeId, maxBytes: config.fetchMaxBytes,
                currentLeaderEpoch: election.epoch, snapshotId: download.id, position: Int64(download.bytes.readableBytes))), now: now))
        } else if flushedEnd >= log.endOffset {
            // Like Kafka's follower, which flushes before it fetches again: what it reports is durable.
            actions.append(requests.send(to: f.leaderId, .fetchRequest(makeFetchRequest()), now: now))
        }
    }

    /// An observer without a leader asks any voter; the answer names the leader.
    mutating func pollObserverWithoutLeader() {
        guard !config.isVoter, !requests.hasInflight(now: now) else { return }
        let voters = config.voterIds
        guard !voters.isEmpty else { return }
        let target = voters[Int.random(in: 0..<voters.count, using: &rng)]
        guard requests.isReady(target, now: now) else { return }
        actions.append(requests.send(to: target, .fetchRequest(makeFetchRequest()), now: now))
    }
}
