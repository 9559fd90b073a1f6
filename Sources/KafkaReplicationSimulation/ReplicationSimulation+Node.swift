import KafkaProtocol
import KafkaReplication

/// A broker: metadata, the leader's produce and fetch serving, the follower's fetching.
extension ReplicationSimulation {
    mutating func scheduleNode(_ id: Int32) {
        let inc = nodes[id]!.incarnation
        queue.push(.nodeTick(id, incarnation: inc), at: now + uniform(1...50))
        queue.push(.flush(id, incarnation: inc), at: now + uniform(20...300))
    }

    mutating func nodeTick(_ id: Int32) throws {
        let n = nodes[id]!
        guard n.brokerEpoch >= 0 else {
            send(.register(brokerId: id), from: .node(id), to: .controller)
            return
        }
        send(.heartbeat(brokerId: id, brokerEpoch: n.brokerEpoch), from: .node(id), to: .controller)
        if var l = n.leader {
            var actions = l.tick(now: now)
            // AlterPartition has a request timeout: a lost request or answer is sent again (Kafka's
            // AlterPartitionManager retries until the controller answers).
            if actions.isEmpty, let proposal = l.isrState.proposal, now - n.alterSentAt > 300 {
                actions = l.alterPartitionAnswered(proposal, .unanswered)
            }
            nodes[id]!.leader = l
            try apply(actions, on: id)
            for done in nodes[id]!.pendingAcks.expire(now: now) { try answerProduce(id, done.key, done.error) }
        } else if let t = n.term, t.leader >= 0, t.leader != id, n.fetchSentAt.map({ now - $0 > 300 }) ?? true {
            sendFetch(id)
        }
    }

    mutating func sendFetch(_ id: Int32) {
        let n = nodes[id]!
        guard n.leader == nil, n.brokerEpoch >= 0, let t = n.term, t.leader >= 0, t.leader != id else { return }
        nodes[id]!.fetchSentAt = now
        nodes[id]!.fetchRequestId += 1
        send(.fetch(replicaId: id, brokerEpoch: n.brokerEpoch, currentLeaderEpoch: t.leaderEpoch, fetchOffset: n.logEndOffset,
                    lastFetchedEpoch: n.epochs.latestEpoch ?? -1, requestId: nodes[id]!.fetchRequestId),
             from: .node(id), to: .node(t.leader))
    }

    mutating func nodeReceived(_ id: Int32, _ message: Message, from: Endpoint) throws {
        switch message {
        case .registered(let epoch, let term, let ineligible):
            guard nodes[id]!.brokerEpoch < 0 else { return }
            nodes[id]!.brokerEpoch = epoch
            try applyMetadata(id, term, ineligible: ineligible)
        case .metadata(let term, let ineligible):
            guard nodes[id]!.brokerEpoch >= 0 else { return }
            try applyMetadata(id, term, ineligible: ineligible)
        case .fetch(let replicaId, let brokerEpoch, let currentLeaderEpoch, let fetchOffset, let lastFetchedEpoch, let requestId):
            try serveFetch(id, replicaId: replicaId, brokerEpoch: brokerEpoch, currentLeaderEpoch: currentLeaderEpoch,
                           fetchOffset: fetchOffset, lastFetchedEpoch: lastFetchedEpoch, requestId: requestId)
        case .fetchAnswer(let epoch, let fetchOffset, let requestId, let answer):
            guard case .node(let leaderId) = from, requestId == nodes[id]!.fetchRequestId,
                  fetchOffset == nodes[id]!.logEndOffset else { return }
            try fetchAnswered(id, leaderId: leaderId, leaderEpoch: epoch, answer)
        case .produce(let produceId, let value):
            try produce(id, produceId: produceId, value: value)
        case .alterPartitionAnswer(let proposal, let answer):
            guard var l = nodes[id]!.leader else { return }
            let actions = l.alterPartitionAnswered(proposal, answer)
            nodes[id]!.leader = l
            try apply(actions, on: id)
        default:
            break
        }
    }

    mutating func applyMetadata(_ id: Int32, _ term: PartitionTerm, ineligible: Set<Int32>) throws {
        var n = nodes[id]!
        if let known = n.term, (term.leaderEpoch, term.partitionEpoch) <= (known.leaderEpoch, known.partitionEpoch) {
            // The same registration, but brokers may have been fenced or unfenced since (KIP-841 eligibility).
            if known == term, var l = n.leader {
                _ = l.metadataChanged(term, ineligible: ineligible, now: now)
                nodes[id]!.leader = l
            }
            return
        }
        n.term = term
        if term.leader == id {
            if var l = n.leader {
                if term.leaderEpoch > l.leaderEpoch { _ = n.epochs.assign(epoch: term.leaderEpoch, startOffset: n.logEndOffset) }
                let actions = l.metadataChanged(term, ineligible: ineligible, now: now)
                n.leader = l
                nodes[id] = n
                try apply(actions, on: id)
            } else {
                // Kafka's makeLeader: the new epoch starts at the log end.
                _ = n.epochs.assign(epoch: term.leaderEpoch, startOffset: n.logEndOffset)
                n.leader = LeaderReplicationState(localId: id, term: term, logEndOffset: n.logEndOffset,
                                                  highWatermark: n.highWatermark.value, ineligible: ineligible,
                                                  config: replicationConfig, now: now)
                n.fetchSentAt = nil
                nodes[id] = n
                try checker.becameLeader(id, epoch: term.leaderEpoch, node: n, controller: controller)
                // Only this node's own records are in its log: nothing to apply, but a lone ISR commits at once.
                var l = nodes[id]!.leader!
                let actions = l.appended(logEndOffset: n.logEndOffset, now: now)
                nodes[id]!.leader = l
                try apply(actions, on: id)
            }
        } else {
            if n.leader != nil {
                n.leader = nil
                let waiting = n.pendingAcks.drain(.notLeaderOrFollower)
                nodes[id] = n
                for done in waiting { try answerProduce(id, done.key, done.error) }
                n = nodes[id]!
            }
            n.fetchSentAt = nil
            nodes[id] = n
            if term.leader >= 0 { queue.push(.fetchNow(id, incarnation: n.incarnation), at: now + 1) }
        }
    }

    /// The leader serves a follower's fetch.
    mutating func serveFetch(_ id: Int32, replicaId: Int32, brokerEpoch: Int64, currentLeaderEpoch: Int32,
                             fetchOffset: Int64, lastFetchedEpoch: Int32, requestId: Int64) throws {
        let n = nodes[id]!
        let answer: FetchAnswer
        if var l = n.leader {
            if currentLeaderEpoch < l.leaderEpoch {
                answer = .error(.fencedLeaderEpoch)
            } else if currentLeaderEpoch > l.leaderEpoch {
                answer = .error(.unknownLeaderEpoch)
            } else {
                switch FetchPosition.check(fetchOffset: fetchOffset, lastFetchedEpoch: lastFetchedEpoch, logStartOffset: 0,
                                           logEndOffset: n.logEndOffset, endOffsetForEpoch: { n.endOffset(forEpoch: $0) }) {
                case .diverging(let end):
                    answer = .diverging(end, highWatermark: l.highWatermark)
                case .outOfRange:
                    throw fail("node \(replicaId) fetched \(fetchOffset) (last epoch \(lastFetchedEpoch)) past leader \(id)'s end \(n.logEndOffset) without diverging")
                case .valid:
                    let actions: [ReplicationAction]
                    do {
                        actions = try l.followerFetched(replicaId: replicaId, fetchOffset: fetchOffset, logStartOffset: 0,
                                                        brokerEpoch: brokerEpoch, now: now)
                    } catch {
                        send(.fetchAnswer(leaderEpoch: currentLeaderEpoch, fetchOffset: fetchOffset, requestId: requestId, .error(error)), from: .node(id), to: .node(replicaId))
                        return
                    }
                    nodes[id]!.leader = l
                    try apply(actions, on: id)
                    let end = min(n.logEndOffset, fetchOffset + Int64(config.maxFetchRecords))
                    answer = .records(from: fetchOffset, Array(n.log[Int(fetchOffset)..<Int(end)]),
                                      highWatermark: nodes[id]!.leader?.highWatermark ?? -1)
                }
            }
        } else {
            answer = .error(.notLeaderOrFollower)
        }
        send(.fetchAnswer(leaderEpoch: currentLeaderEpoch, fetchOffset: fetchOffset, requestId: requestId, answer), from: .node(id), to: .node(replicaId))
    }

    /// A follower applies its leader's answer: truncate on divergence, append, learn the high watermark.
    mutating func fetchAnswered(_ id: Int32, leaderId: Int32, leaderEpoch: Int32, _ answer: FetchAnswer) throws {
        var n = nodes[id]!
        guard n.leader == nil, let t = n.term, t.leader == leaderId, t.leaderEpoch == leaderEpoch else { return }
        n.fetchSentAt = nil
        var again: Int64 = 1
        switch answer {
        case .error:
            again = 50
        case .diverging(let end, _):
            let cut = FetchPosition.truncation(leader: end, logEndOffset: n.logEndOffset, highWatermark: n.highWatermark.value,
                                               endOffsetForEpoch: { n.endOffset(forEpoch: $0) })
            try checker.truncating(id, node: n, to: cut.offset)
            n.truncate(to: cut.offset)
            report.truncations += 1
        case .records(let from, let records, let hw):
            if from == n.logEndOffset {
                for r in records { n.append(r) }
                _ = n.highWatermark.leaderReported(hw, logEndOffset: n.logEndOffset)
                if records.isEmpty { again = 20 }
            }
        }
        nodes[id] = n
        queue.push(.fetchNow(id, incarnation: n.incarnation), at: now + again)
    }

    /// The leader appends an acks=all produce, or refuses it.
    mutating func produce(_ id: Int32, produceId: Int64, value: Int64) throws {
        var n = nodes[id]!
        guard var l = n.leader else {
            send(.produceAnswer(id: produceId, error: .notLeaderOrFollower, offset: -1, leaderHint: n.term?.leader ?? -1),
                 from: .node(id), to: .producer)
            return
        }
        let check = l.checkAppend(requiredAcks: -1)
        guard check == .none else {
            send(.produceAnswer(id: produceId, error: check, offset: -1, leaderHint: id), from: .node(id), to: .producer)
            return
        }
        let offset = n.logEndOffset
        n.append(SimRecord(value: value, epoch: l.leaderEpoch))
        let actions = l.appended(logEndOffset: n.logEndOffset, now: now)
        n.leader = l
        n.pendingAcks.add(produceId, requiredOffset: offset + 1, deadline: now + config.produceTimeoutMs)
        n.pendingOffsets[produceId] = offset
        nodes[id] = n
        try apply(actions, on: id)
    }

    mutating func answerProduce(_ id: Int32, _ produceId: Int64, _ error: KafkaError) throws {
        let offset = nodes[id]!.pendingOffsets.removeValue(forKey: produceId) ?? -1
        // Checked when the leader says "written", not when the producer hears it: by then more may be committed.
        if error == .none { try checker.acknowledging(by: id, node: nodes[id]!, offset: offset) }
        send(.produceAnswer(id: produceId, error: error, offset: offset, leaderHint: nodes[id]!.term?.leader ?? -1),
             from: .node(id), to: .producer)
    }

    /// Carries out the leader's actions: a new high watermark (checked, then acks answered) or an AlterPartition.
    mutating func apply(_ actions: [ReplicationAction], on id: Int32) throws {
        for action in actions {
            switch action {
            case .highWatermarkAdvanced(let hw):
                _ = nodes[id]!.highWatermark.leaderReported(hw, logEndOffset: nodes[id]!.logEndOffset)
                try checker.committed(by: id, node: nodes[id]!, upTo: hw)
                guard let l = nodes[id]!.leader else { continue }
                for done in nodes[id]!.pendingAcks.complete(l) { try answerProduce(id, done.key, done.error) }
            case .sendAlterPartition(let proposal):
                nodes[id]!.alterSentAt = now
                send(.alterPartition(brokerId: id, brokerEpoch: nodes[id]!.brokerEpoch, proposal), from: .node(id), to: .controller)
            }
        }
    }
}
