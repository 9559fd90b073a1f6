import KafkaProtocol
import KafkaReplication

/// The client and the faults.
struct SimProducer {
    var target: Int32 = 1
    var inFlight: (id: Int64, value: Int64)?
    var nextId: Int64 = 1
    /// (value, offset) in acknowledgement order.
    var acked: [(value: Int64, offset: Int64)] = []
}

extension ReplicationSimulation {
    /// One acks=all produce at a time (max.in.flight 1), each with a new value; stops when chaos ends.
    mutating func produceNext() {
        guard chaos, producer.inFlight == nil else { return }
        let id = producer.nextId
        producer.nextId += 1
        producer.inFlight = (id, id)
        send(.produce(id: id, value: id), from: .producer, to: .node(producer.target))
        queue.push(.produceTimeout(id: id), at: now + config.produceTimeoutMs + 100)
    }

    mutating func producerReceived(_ message: Message) throws {
        guard case .produceAnswer(let id, let error, let offset, let hint) = message, let f = producer.inFlight, f.id == id else { return }
        producer.inFlight = nil
        switch error {
        case .none:
            producer.acked.append((f.value, offset))
            report.acknowledged += 1
            try checker.acknowledged(value: f.value, offset: offset)
        case .notEnoughReplicas: report.refusedNotEnoughReplicas += 1
        case .notEnoughReplicasAfterAppend: report.notEnoughReplicasAfterAppend += 1
        case .requestTimedOut: report.timedOut += 1
        default:
            // Metadata refresh: the hint, else any node.
            producer.target = hint >= 0 ? hint : ids[Int(rng.next() % 3)]
        }
        queue.push(.produce, at: now + uniform(1...20))
    }

    mutating func producerTimedOut(_ id: Int64) {
        guard let f = producer.inFlight, f.id == id else { return }
        producer.inFlight = nil
        report.timedOut += 1
        producer.target = controller.term.leader >= 0 && chance(0.7) ? controller.term.leader : ids[Int(rng.next() % 3)]
        queue.push(.produce, at: now + uniform(1...20))
    }

    /// All three up and registered, a leader, and at least two in the ISR: the state a fault is injected in, so
    /// that no two nodes are down at once (RF 3 with min.insync.replicas 2 promises to survive one). A node may
    /// still be catching up from the previous fault, so the next one can hit the leader while a follower is out
    /// of the ISR.
    var healthy: Bool {
        isolated == nil && !faultActive && controller.term.leader >= 0 && controller.term.isr.count >= 2
            && ids.allSatisfy { id in
                let n = nodes[id]!
                return n.alive && n.pausedUntil <= now && n.brokerEpoch >= 0 && controller.brokers[id]?.fenced == false
            }
    }

    mutating func injectFault() {
        guard chaos else { return }
        guard healthy else {
            queue.push(.fault, at: now + 100)
            return
        }
        // Half the faults hit the leader.
        let victim = chance(0.5) ? controller.term.leader : ids[Int(rng.next() % 3)]
        faultActive = true
        switch rng.next() % 3 {
        case 0: crash(victim)
        case 1:
            report.pauses += 1
            let until = now + uniform(config.sessionTimeoutMs * 3 / 2...config.sessionTimeoutMs * 4)
            nodes[victim]!.pausedUntil = until
            queue.push(.resume(victim), at: until)
        default:
            report.isolations += 1
            isolated = victim
            queue.push(.reconnect(victim), at: now + uniform(800...3_000))
        }
        queue.push(.fault, at: now + exponential(config.meanFaultIntervalMs))
    }

    /// kill -9: everything in memory goes, and the log's unflushed tail with it.
    mutating func crash(_ id: Int32) {
        report.crashes += 1
        var n = nodes[id]!
        n.alive = false
        n.incarnation += 1
        if config.loseUnflushedOnCrash, n.flushedEnd < n.logEndOffset {
            n.log.removeLast(n.log.count - Int(n.flushedEnd))
            _ = n.epochs.truncateFromEnd(n.flushedEnd)
        }
        n.highWatermark = FollowerHighWatermark(min(n.flushedHighWatermark, n.logEndOffset))
        n.leader = nil
        n.pendingAcks = PendingAcks()
        n.pendingOffsets = [:]
        n.brokerEpoch = -1
        n.term = nil
        n.fetchSentAt = nil
        n.pausedUntil = 0
        nodes[id] = n
        checker.crashed(id)
        queue.push(.restart(id), at: now + uniform(200...1_500))
    }

    mutating func restart(_ id: Int32) {
        nodes[id]!.alive = true
        faultActive = false
        scheduleNode(id)
    }

    /// End of chaos: reconnect; paused and crashed nodes come back on their own schedule.
    mutating func healAll() {
        isolated = nil
    }

    var converged: Bool {
        guard producer.inFlight == nil, controller.term.leader >= 0, controller.term.isr.count == 3,
              let leaderNode = nodes[controller.term.leader], let l = leaderNode.leader, !l.isrState.isInflight,
              l.isr.count == 3, l.highWatermark == leaderNode.logEndOffset else { return false }
        return ids.allSatisfy { id in
            let n = nodes[id]!
            return n.alive && n.pausedUntil <= now && n.log == leaderNode.log && n.highWatermark.value == n.logEndOffset
        }
    }

    /// Every acknowledged record once, at its offset, in acknowledgement order, on every replica.
    mutating func finalCheck() throws {
        let log = nodes[controller.term.leader]!.log
        report.finalLogEnd = Int64(log.count)
        var seen = Set<Int64>()
        for r in log where !seen.insert(r.value).inserted { report.duplicated += 1 }
        var lastOffset: Int64 = -1
        for a in producer.acked {
            if a.offset < 0 || a.offset >= Int64(log.count) || log[Int(a.offset)].value != a.value { report.lost += 1 }
            if a.offset <= lastOffset { report.reordered += 1 }
            lastOffset = a.offset
        }
        if report.lost + report.duplicated + report.reordered > 0 {
            throw fail("after healing: \(report.lost) lost, \(report.duplicated) duplicated, \(report.reordered) reordered")
        }
    }
}
