import Foundation
import KafkaProtocol
import KafkaRaft
import NIOCore

/// A seeded deterministic simulation of a KafkaRaft quorum: a simulated clock and network (loss, delay,
/// reordering, partitions), crashes and restarts with or without the loss of unflushed writes, and the checks of
/// Kafka's `RaftEventSimulationTest` after every step (`InvariantChecker`). Everything derives from the seed:
/// `RaftSimulation(seed:config:).run()` replays a run exactly.
public struct RaftSimulation {
    enum Event {
        case deliver(from: Int32, to: Int32, incarnation: Int, RaftEnvelope)
        case tick(Int32, incarnation: Int)
        case flush(Int32, incarnation: Int)
        case snapshotWritten(Int32, incarnation: Int, SnapshotId, ByteBuffer)
        case fault
        case clientAppend
        case restart(Int32)
    }

    struct Process {
        var node: RaftNode?
        var storage = SimulatedStorage()
        var machine = CounterStateMachine()
        var incarnation = 0
        var scheduledTick: Int64 = .max
    }

    public let seed: UInt64
    public let config: SimulationConfig
    var rng: SplitMix64
    var now: Int64 = 0
    var queue = EventQueue<Event>()
    var processes: [Int32: Process] = [:]
    var voterIds: [Int32]
    var allIds: [Int32]
    /// Node id -> partition group; messages cross groups only when healed.
    var partition: [Int32: Int] = [:]
    var healed = false
    var nextValue: Int64 = 1
    var checker: InvariantChecker
    public internal(set) var report: SimulationReport

    public init(seed: UInt64, config: SimulationConfig) {
        self.seed = seed
        self.config = config
        rng = SplitMix64(seed: seed)
        voterIds = (1...Int32(config.voters)).map { $0 }
        allIds = voterIds + (0..<Int32(config.observers)).map { 100 + $0 }
        checker = InvariantChecker(voters: Set(voterIds))
        report = SimulationReport(seed: seed)
    }

    func raftConfig(_ id: Int32) -> RaftConfig {
        var c = RaftConfig(nodeId: id, voters: voterIds.map { QuorumVoter(id: $0, host: "127.0.0.1", port: 9990 + Int($0)) },
                           clusterId: "L8ET8G9aRV6JnX4YQRBspg")
        c.maxBytesBetweenSnapshots = config.maxBytesBetweenSnapshots
        c.fetchMaxBytes = config.fetchMaxBytes
        return c
    }

    /// Runs the chaos phase, then the liveness phase; throws the first broken rule.
    public mutating func run() throws -> SimulationReport {
        for id in allIds {
            processes[id] = Process()
            try start(id)
        }
        queue.push(.fault, at: exponential(config.meanFaultIntervalMs))
        queue.push(.clientAppend, at: exponential(config.meanAppendIntervalMs))
        try runUntil(config.chaosMs)
        try heal()
        let healedAt = now
        let target = try runLiveness(deadline: healedAt + config.livenessBoundMs)
        report.simulatedMs = now
        report.committedOffset = target
        report.maxEpoch = checker.maxEpoch
        return report
    }

    func fail(_ message: String) -> SimulationFailure {
        SimulationFailure(message: "RAFT_SIM_SEED=\(seed) (\(config.voters) voters, \(config.observers) observers) at \(now) ms: \(message)")
    }

    // MARK: - Randomness

    mutating func chance(_ p: Double) -> Bool { Double(rng.next() >> 11) / Double(1 << 53) < p }
    mutating func uniform(_ range: ClosedRange<Int64>) -> Int64 { Int64.random(in: range, using: &rng) }
    mutating func exponential(_ mean: Int64) -> Int64 {
        let u = max(Double(rng.next() >> 11) / Double(1 << 53), 1e-9)
        return now + max(1, Int64(-Double(mean) * log(u)))
    }

    // MARK: - Loop

    mutating func runUntil(_ end: Int64) throws {
        while let (time, event) = queue.pop() {
            if time > end {
                queue.push(event, at: time)
                now = end
                return
            }
            now = max(now, time)
            try step(event)
            report.steps += 1
            do { try checker.check(processes) } catch { throw fail("\(error)") }
        }
    }

    mutating func step(_ event: Event) throws {
        switch event {
        case .deliver(let from, let to, let incarnation, let envelope):
            guard processes[to]?.incarnation == incarnation, processes[to]?.node != nil, connected(from, to) else { return }
            try feed(to, .received(from: from, envelope))
        case .tick(let id, let incarnation):
            guard processes[id]?.incarnation == incarnation, processes[id]?.node != nil else { return }
            processes[id]?.scheduledTick = .max
            try feed(id, .tick)
        case .flush(let id, let incarnation):
            guard processes[id]?.incarnation == incarnation, processes[id]?.node != nil else { return }
            processes[id]?.storage.flushCompleted()
            processes[id]?.storage.flushPending = false
            try feed(id, .flushed(upTo: processes[id]?.storage.durableEnd ?? 0))
        case .snapshotWritten(let id, let incarnation, let snapshot, let bytes):
            guard processes[id]?.incarnation == incarnation, processes[id]?.node != nil else { return }
            try feed(id, .snapshotWritten(snapshot, bytes))
        case .fault:
            guard !healed else { return }
            try injectFault()
            if !healed { queue.push(.fault, at: exponential(config.meanFaultIntervalMs)) }
        case .clientAppend:
            try clientAppend()
            queue.push(.clientAppend, at: exponential(config.meanAppendIntervalMs))
        case .restart(let id):
            if processes[id]?.node == nil { try start(id) }
        }
    }

    mutating func clientAppend() throws {
        guard let leader = allIds.first(where: { processes[$0]?.node?.isLeader == true }) else { return }
        let count = Int(uniform(1...3))
        var records: [ByteBuffer] = []
        for _ in 0..<count {
            var b = ByteBuffer()
            b.writeInteger(nextValue, endianness: .big)
            nextValue += 1
            records.append(b)
        }
        try feed(leader, .append(records))
    }

    /// Hands one event to a node and carries out its actions in order, as a driver must.
    mutating func feed(_ id: Int32, _ event: RaftEvent) throws {
        guard var process = processes[id], var node = process.node else { return }
        let actions = node.handle(event, now: now)
        process.node = node
        processes[id] = process
        for action in actions { try perform(id, action) }
    }
}
