import KafkaRaftSimulation
import KafkaReplication

/// The rules checked as the simulation runs. The committed log is every record some leader's high watermark
/// has passed; the rules say it only grows and every replica that matters agrees with it.
struct ReplicationChecker {
    /// Offset -> the record committed there.
    private(set) var committed: [SimRecord] = []
    /// Leader epoch -> its leader, as the controller elected it.
    private var leaders: [Int32: Int32] = [:]
    /// Leader epoch -> how many records were committed when the controller elected its leader.
    private var committedAtElection: [Int32: Int] = [:]
    private var lastTerm: PartitionTerm?
    /// Each node's high watermark last seen, reset by its crash or truncation.
    private var lastHighWatermark: [Int32: Int64] = [:]
    /// Each node's leader epoch of its last leadership, reset by its crash.
    private var lastLedEpoch: [Int32: Int32] = [:]

    func failure(_ message: String) -> SimulationFailure { SimulationFailure(message: message) }

    /// The controller's registration moved: epochs only grow, one leader per epoch.
    mutating func controllerChanged(_ t: PartitionTerm) {
        if let last = lastTerm {
            precondition(t.leaderEpoch >= last.leaderEpoch && t.partitionEpoch > last.partitionEpoch, "controller epochs went back")
        }
        lastTerm = t
        if t.leader >= 0, leaders[t.leaderEpoch] == nil {
            leaders[t.leaderEpoch] = t.leader
            committedAtElection[t.leaderEpoch] = committed.count
        }
    }

    /// A node took leadership: the controller chose it for that epoch, its epochs grow, and its log holds every
    /// committed record (election from the ISR loses nothing).
    mutating func becameLeader(_ id: Int32, epoch: Int32, node: SimNode, controller: SimController) throws {
        guard leaders[epoch] == id else {
            throw failure("node \(id) leads epoch \(epoch), which the controller gave to \(leaders[epoch].map(String.init) ?? "nobody")")
        }
        if let last = lastLedEpoch[id], epoch <= last { throw failure("node \(id) led epoch \(last), now \(epoch)") }
        lastLedEpoch[id] = epoch
        // What was committed when the controller chose it: a node may learn of its leadership late (paused, or
        // the update delayed), after later epochs committed more, and then it is a zombie that commits nothing.
        let n = commonPrefix(node.log), needed = committedAtElection[epoch] ?? committed.count
        guard n >= needed else {
            throw failure("node \(id) elected at epoch \(epoch) with \(n) of the \(needed) records committed at its election (log end \(node.logEndOffset))")
        }
    }

    /// A leader's high watermark reached `hw`: its records below are committed, and must agree with what was.
    mutating func committed(by id: Int32, node: SimNode, upTo hw: Int64) throws {
        guard hw <= node.logEndOffset else { throw failure("node \(id): high watermark \(hw) past its log end \(node.logEndOffset)") }
        let hw = Int(hw)
        for o in 0..<min(hw, committed.count) where node.log[o] != committed[o] {
            throw failure("node \(id) committed \(node.log[o]) at \(o), where \(committed[o]) was committed")
        }
        if hw > committed.count { committed += node.log[committed.count..<hw] }
    }

    /// A follower truncates: never a committed record it holds.
    mutating func truncating(_ id: Int32, node: SimNode, to offset: Int64) throws {
        let keep = commonPrefix(node.log)
        guard offset >= Int64(keep) else {
            throw failure("node \(id) truncates to \(offset), below the \(keep) committed records it holds")
        }
        lastHighWatermark[id] = nil
    }

    /// A leader answers an acks=all produce with success: its record must be committed.
    func acknowledging(by id: Int32, node: SimNode, offset: Int64) throws {
        guard offset >= 0, offset < Int64(committed.count), node.log[Int(offset)] == committed[Int(offset)] else {
            throw failure("node \(id) acknowledges offset \(offset) with \(committed.count) records committed")
        }
    }

    func acknowledged(value: Int64, offset: Int64) throws {
        guard offset >= 0, offset < Int64(committed.count), committed[Int(offset)].value == value else {
            throw failure("value \(value) acknowledged at \(offset), not committed there (\(committed.count) committed)")
        }
    }

    mutating func crashed(_ id: Int32) {
        lastHighWatermark[id] = nil
        lastLedEpoch[id] = nil
    }

    /// After every step: high watermarks never go back; every registered, alive member of the controller's ISR
    /// holds the whole committed log (so any of them may be elected).
    mutating func check(nodes: [Int32: SimNode], controller: SimController) throws {
        for (id, n) in nodes {
            let hw = n.highWatermark.value
            if let last = lastHighWatermark[id], hw < last { throw failure("node \(id): high watermark went back from \(last) to \(hw)") }
            lastHighWatermark[id] = hw
            guard hw <= n.logEndOffset else { throw failure("node \(id): high watermark \(hw) past its log end \(n.logEndOffset)") }
            if n.alive, n.brokerEpoch >= 0, controller.term.isr.contains(id), n.logEndOffset < Int64(committed.count) {
                throw failure("node \(id) is in the ISR \(controller.term.isr) with log end \(n.logEndOffset) < \(committed.count) committed")
            }
        }
    }

    private func commonPrefix(_ log: [SimRecord]) -> Int {
        var i = 0
        let n = min(log.count, committed.count)
        while i < n && log[i] == committed[i] { i += 1 }
        return i
    }
}
