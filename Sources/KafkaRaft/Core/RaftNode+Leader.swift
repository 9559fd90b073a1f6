import KafkaProtocol
import NIOCore

/// The leader: batching appends, the high watermark, check quorum.
extension RaftNode {
    mutating func append(_ records: [ByteBuffer]) {
        guard case .leader(var l) = role, !records.isEmpty else {
            actions.append(.appendRejected(leaderAndEpoch))
            return
        }
        // Offsets are fixed now: the log end plus what is already waiting to be batched.
        let base = log.endOffset + Int64(l.pending.records.count)
        l.pending.records += records
        l.pending.bytes += records.reduce(0) { $0 + $1.readableBytes }
        if l.pending.deadline == nil { l.pending.deadline = now + config.appendLingerMs }
        role = .leader(l)
        actions.append(.appendAccepted(AppendReceipt(epoch: election.epoch, baseOffset: base, lastOffset: base + Int64(records.count) - 1)))
        if l.pending.bytes >= config.maxBatchSizeBytes { drainPending() }
    }

    /// Closes the batch being gathered and appends it (after `append.linger.ms`, or when it is full).
    mutating func drainPending() {
        guard case .leader(var l) = role, !l.pending.records.isEmpty else { return }
        let records = l.pending.records
        l.pending = PendingBatch()
        role = .leader(l)
        do {
            appendLocally(try LogBatch.data(records: records, baseOffset: log.endOffset, epoch: election.epoch, timestamp: now))
        } catch {
            actions.append(.fatal("cannot build a batch: \(error)"))
        }
    }

    /// Appends a batch this node made (leader) or fetched (follower) and asks for it to be flushed.
    mutating func appendLocally(_ batch: LogBatch) {
        do {
            try log.append(batch)
        } catch {
            actions.append(.fatal("append at \(batch.baseOffset): \(error)"))
            return
        }
        actions.append(.appendToLog(batch))
        requestFlush()
    }

    mutating func requestFlush() {
        guard log.endOffset > flushRequested else { return }
        flushRequested = log.endOffset
        actions.append(.flushLog(upTo: log.endOffset))
    }

    mutating func onFlushed(_ upTo: Int64) {
        let durable = min(upTo, log.endOffset)
        guard durable > flushedEnd else { return }
        flushedEnd = durable
        switch role {
        case .leader: updateLeaderHighWatermark()
        case .follower: updateFollowerHighWatermark()
        default: break
        }
    }

    /// KIP-595: the high watermark is the largest offset a majority of voters hold (the leader counts what it
    /// has flushed, a follower what its Fetch says it has), once it passes this epoch's first offset, so that
    /// an entry of the leader's own epoch is committed first. It never decreases.
    mutating func updateLeaderHighWatermark() {
        guard case .leader(var l) = role else { return }
        var ends = l.voters.values.map { $0.endOffset ?? -1 }
        ends.append(flushedEnd)
        ends.sort(by: >)
        let candidate = ends[config.voters.count / 2]
        guard candidate > l.epochStartOffset, candidate > (l.highWatermark ?? -1) else { return }
        l.highWatermark = candidate
        role = .leader(l)
        advanceCommitted(to: candidate)
    }

    /// Raises the node's high watermark and reports the newly committed offsets.
    mutating func advanceCommitted(to offset: Int64) {
        if let hw = highWatermark, offset < hw {
            actions.append(.fatal("non-monotonic high watermark: \(hw) -> \(offset)"))
            return
        }
        highWatermark = offset
        guard offset > committed else { return }
        bytesSinceSnapshot += log.batches(from: committed, to: offset).reduce(0) { $0 + $1.sizeInBytes }
        committed = offset
        actions.append(.commit(upTo: offset))
        maybeTakeSnapshot()
    }

    /// Records a voter's fetch for check quorum (KAFKA-15489): the leader resigns if no majority fetched from it
    /// within 1.5 times the fetch timeout.
    mutating func noteVoterContact(_ id: Int32) {
        guard case .leader(var l) = role, config.voters[id] != nil else { return }
        l.fetchedSinceCheck.insert(id)
        if l.fetchedSinceCheck.count + 1 >= config.majority {
            l.fetchedSinceCheck = []
            l.checkQuorumDeadline = now + config.checkQuorumTimeoutMs
        }
        role = .leader(l)
    }

    mutating func pollLeader() {
        guard case .leader(let l0) = role else { return }
        if let deadline = l0.pending.deadline, now >= deadline { drainPending() }
        guard case .leader(var l) = role else { return }
        if config.majority > 1 && now >= l.checkQuorumDeadline {
            resign()
            return
        }
        for id in config.voterIds where !l.beginAcked.contains(id) && requests.isReady(id, now: now) {
            actions.append(requests.send(to: id, .beginQuorumEpochRequest(
                BeginQuorumEpochRequestData(clusterId: config.clusterId, leaderId: config.nodeId, leaderEpoch: election.epoch)), now: now))
        }
        // Complete the Fetch requests held for new data: on data, on a high watermark change, or at their deadline.
        for (replica, parked) in l.parked.sorted(by: { $0.key < $1.key }) {
            let due = now >= parked.deadline || log.endOffset > parked.request.fetchOffset
                || l.highWatermark != parked.highWatermarkWhenParked
            guard due else { continue }
            l.parked[replica] = nil
            role = .leader(l)
            respond(to: replica, parked.correlationId, .fetchResponse(leaderFetchResponse(parked.request, park: false) ?? emptyFetchResponse()))
            guard case .leader(let again) = role else { return }
            l = again
        }
        role = .leader(l)
    }
}
