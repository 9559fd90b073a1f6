import KafkaProtocol
import KafkaRaft
import NIOCore

/// The simulated driver: carries out a node's actions against its simulated disk, network and state machine.
extension RaftSimulation {
    mutating func perform(_ id: Int32, _ action: RaftAction) throws {
        guard let incarnation = processes[id]?.incarnation else { return }
        switch action {
        case .send(let to, let envelope):
            report.messagesSent += 1
            guard processes[to] != nil, connected(id, to) else { return }
            if !healed && chance(config.lossRate) { return }
            let delay = uniform(1...config.maxDelayMs)
            queue.push(.deliver(from: id, to: to, incarnation: processes[to]?.incarnation ?? 0, envelope), at: now + delay)
        case .persistElectionState(let state):
            processes[id]?.storage.election = state
        case .appendToLog(let batch):
            do { try processes[id]?.storage.append(batch) } catch { throw fail("storage: \(error)") }
        case .truncateLog(let offset):
            report.truncations += 1
            do { try processes[id]?.storage.truncate(to: offset) } catch { throw fail("storage: \(error)") }
        case .flushLog:
            if processes[id]?.storage.flushPending == false {
                processes[id]?.storage.flushPending = true
                queue.push(.flush(id, incarnation: incarnation), at: now + uniform(0...config.maxFlushMs))
            }
        case .commit(let upTo):
            try apply(id, upTo: upTo)
        case .takeSnapshot(let snapshot):
            guard let machine = processes[id]?.machine, machine.applied == snapshot.endOffset else {
                throw fail("node \(id) asked for \(snapshot) with its state machine at \(processes[id]?.machine.applied ?? -1)")
            }
            let bytes = try machine.snapshotFile(id: snapshot, timestamp: now)
            do { try checker.checkSnapshot(node: id, snapshot, machine: machine) } catch { throw fail("\(error)") }
            processes[id]?.storage.snapshot = (snapshot, bytes)
            report.snapshotsTaken += 1
            queue.push(.snapshotWritten(id, incarnation: incarnation, snapshot, bytes), at: now + uniform(0...config.maxFlushMs))
        case .deleteLogBefore(let snapshot):
            processes[id]?.storage.deletePrefix(snapshot)
        case .installSnapshot(let snapshot, let bytes):
            report.snapshotsInstalled += 1
            let machine = try CounterStateMachine.load(bytes, id: snapshot)
            do { try checker.checkSnapshot(node: id, snapshot, machine: machine) } catch { throw fail("\(error)") }
            processes[id]?.storage.install(snapshot, bytes)
            processes[id]?.machine = machine
        case .fatal(let message):
            throw fail("node \(id) stopped: \(message)")
        case .schedule(let at):
            if let current = processes[id]?.scheduledTick, at < current {
                processes[id]?.scheduledTick = at
                queue.push(.tick(id, incarnation: incarnation), at: at)
            }
        case .becameLeader, .resignedLeadership, .leaderChanged, .appendAccepted, .appendRejected:
            break
        }
    }

    /// Applies committed entries to the node's state machine, checking each against what was committed before.
    mutating func apply(_ id: Int32, upTo: Int64) throws {
        guard var process = processes[id], let node = process.node else { return }
        var offset = process.machine.applied
        guard offset >= node.log.startOffset else { throw fail("node \(id) must apply from \(offset) but its log starts at \(node.log.startOffset)") }
        for batch in node.log.batches(from: offset, to: upTo) {
            let entries = try CommittedEntry.entries(of: batch)
            for (i, entry) in entries.enumerated() {
                let at = batch.baseOffset + Int64(i)
                guard at >= offset, at < upTo else { continue }
                guard at == offset else { throw fail("node \(id) applies offset \(at) after \(offset)") }
                do { try checker.recordCommitted(node: id, offset: at, entry) } catch { throw fail("\(error)") }
                process.machine.digest = CounterStateMachine.fold(process.machine.digest, entry)
                offset += 1
                process.machine.applied = offset
            }
        }
        guard offset == upTo else { throw fail("node \(id) commits up to \(upTo) but its log has only up to \(offset)") }
        processes[id] = process
    }

    // MARK: - Nodes and faults

    /// Starts (or restarts) a node from what its disk holds.
    mutating func start(_ id: Int32) throws {
        guard var process = processes[id] else { return }
        process.incarnation += 1
        process.scheduledTick = .max
        if let snapshot = process.storage.snapshot { process.storage.deletePrefix(snapshot.id) }
        let storage = process.storage
        let log: RaftLog
        do { log = try RaftLog(after: storage.snapshot?.id, batches: storage.durable.batches) } catch { throw fail("restart of \(id): \(error)") }
        process.machine = CounterStateMachine()
        if let snapshot = storage.snapshot { process.machine = try CounterStateMachine.load(snapshot.bytes, id: snapshot.id) }
        process.storage.written = log
        process.storage.durable = log
        process.node = RaftNode(config: raftConfig(id), election: storage.election, log: log, snapshot: storage.snapshot,
                                now: now, seed: rng.next())
        processes[id] = process
        checker.nodeStarted(id)
        try feed(id, .tick)
    }

    mutating func crash(_ id: Int32, loseUnflushed: Bool) {
        guard processes[id]?.node != nil else { return }
        report.crashes += 1
        processes[id]?.node = nil
        processes[id]?.storage.crash(loseUnflushed: loseUnflushed)
        if config.forgetElectionStateOnCrash { processes[id]?.storage.election = nil }
        queue.push(.restart(id), at: now + uniform(50...3_000))
    }

    func connected(_ a: Int32, _ b: Int32) -> Bool {
        healed || (partition[a] ?? 0) == (partition[b] ?? 0)
    }

    mutating func injectFault() throws {
        switch uniform(0...9) {
        case 0...3:
            let id = allIds[Int(uniform(0...Int64(allIds.count - 1)))]
            crash(id, loseUnflushed: chance(0.5))
        case 4...5:
            // A partition: every node joins one of two sides.
            for id in allIds { partition[id] = Int(uniform(0...1)) }
        case 6:
            // Isolate the leader, the hardest partition for liveness.
            partition = [:]
            if let leader = allIds.first(where: { processes[$0]?.node?.isLeader == true }) { partition[leader] = 1 }
        default:
            partition = [:]
        }
    }

    /// Ends the chaos phase: the network heals, every node runs, no message is lost.
    mutating func heal() throws {
        healed = true
        partition = [:]
        for id in allIds where processes[id]?.node == nil { try start(id) }
    }

    /// Runs until every node has committed a record appended after the heal, or fails at the deadline.
    mutating func runLiveness(deadline: Int64) throws -> Int64 {
        let firstNewValue = nextValue
        while now < deadline {
            try runUntil(min(deadline, now + 100))
            guard nextValue > firstNewValue else { continue }
            guard let target = checker.firstCommittedOffset(ofValueAtLeast: firstNewValue) else { continue }
            let done = allIds.allSatisfy { id in
                guard let p = processes[id], p.node != nil else { return false }
                return p.machine.applied > target
            }
            if done, allIds.contains(where: { processes[$0]?.node?.isLeader == true }) {
                return allIds.compactMap { processes[$0]?.node?.highWatermark }.max() ?? 0
            }
        }
        let states = allIds.map { id -> String in
            guard let n = processes[id]?.node else { return "\(id): down" }
            return "\(id): \(n.roleName) epoch \(n.epoch) hw \(n.highWatermark.map(String.init) ?? "-") end \(n.log.endOffset)"
        }
        throw fail("liveness: no leader committed new records on every node within \(config.livenessBoundMs) ms of the heal [\(states.joined(separator: "; "))]")
    }
}
