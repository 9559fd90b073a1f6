import Foundation
import KafkaProtocol
import KafkaRaft
import KafkaRaftSimulation
import KafkaReplication

/// A seeded deterministic simulation of one partition replicated over three brokers with
/// `min.insync.replicas=2`, an acks=all producer and a controller: the real `LeaderReplicationState`,
/// `FetchPosition` and `LeaderEpochCache` driven over a simulated network (loss, delay, reordering) through
/// kill -9 with loss of unflushed writes, SIGSTOP past the session timeout, and the isolation of a node from the
/// others and the controller (the producer still reaches it, as in Jepsen's Kafka test). After every step the
/// `ReplicationChecker` holds the rules: one leader per epoch, a high watermark that never goes back, committed
/// records never changed or truncated, every alive ISR member holding every committed record, every
/// acknowledged record committed. After healing, every replica must converge to the same log holding each
/// acknowledged record once, in order. Everything derives from the seed.
public struct ReplicationSimulation {
    enum Event {
        case deliver(to: Endpoint, from: Endpoint, incarnation: Int, Message)
        case nodeTick(Int32, incarnation: Int)
        case fetchNow(Int32, incarnation: Int)
        case flush(Int32, incarnation: Int)
        case controllerTick
        case fault
        case restart(Int32)
        case resume(Int32)
        case reconnect(Int32)
        case produce
        case produceTimeout(id: Int64)
    }

    public let seed: UInt64
    public let config: ReplicationSimulationConfig
    let ids: [Int32] = [1, 2, 3]
    var rng: SplitMix64
    var now: Int64 = 1_000_000
    var queue = EventQueue<Event>()
    var nodes: [Int32: SimNode] = [:]
    var controller: SimController
    var producer = SimProducer()
    /// The node cut off from the other nodes and the controller, if any.
    var isolated: Int32?
    var faultActive = false
    var chaos = true
    var checker = ReplicationChecker()
    public internal(set) var report: ReplicationSimulationReport

    public init(seed: UInt64, config: ReplicationSimulationConfig = ReplicationSimulationConfig()) {
        self.seed = seed
        self.config = config
        rng = SplitMix64(seed: seed)
        controller = SimController(term: PartitionTerm(leader: -1, leaderEpoch: 0, partitionEpoch: 0, replicas: ids, isr: ids))
        report = ReplicationSimulationReport(seed: seed)
    }

    var replicationConfig: ReplicationConfig {
        ReplicationConfig(minInsyncReplicas: config.minInsyncReplicas, replicaLagTimeMaxMs: config.replicaLagTimeMaxMs)
    }

    /// Runs the chaos phase, heals, runs until converged; throws the first broken rule.
    public mutating func run() throws -> ReplicationSimulationReport {
        let start = now
        for id in ids {
            nodes[id] = SimNode()
            scheduleNode(id)
        }
        queue.push(.controllerTick, at: now + 10)
        queue.push(.produce, at: now + 200)
        queue.push(.fault, at: now + 500 + exponential(config.meanFaultIntervalMs))
        try runUntil(start + config.chaosMs)
        chaos = false
        healAll()
        let deadline = now + config.livenessBoundMs
        while !converged {
            guard now < deadline else {
                throw fail("not converged \(config.livenessBoundMs) ms after healing: \(stateLine)")
            }
            try runUntil(now + 50)
        }
        try finalCheck()
        report.simulatedMs = now - start
        report.leaderEpochs = controller.term.leaderEpoch
        return report
    }

    mutating func runUntil(_ t: Int64) throws {
        while let next = queue.peekTime, next <= t {
            guard let (time, event) = queue.pop() else { break }
            now = time
            report.steps += 1
            if config.trace { print("\(now - 1_000_000) \(event)") }
            do {
                try handle(event)
                try checker.check(nodes: nodes, controller: controller)
            } catch let f as SimulationFailure where !f.message.hasPrefix("REPLICATION_SIM_SEED") {
                throw fail(f.message + "; " + stateLine)
            }
            if config.trace { print("    " + stateLine) }
        }
        now = max(now, t)
    }

    func fail(_ message: String) -> SimulationFailure {
        SimulationFailure(message: "REPLICATION_SIM_SEED=\(seed) at \(now - 1_000_000) ms: \(message)")
    }

    var stateLine: String {
        let t = controller.term
        let parts = ids.map { id -> String in
            let n = nodes[id]!
            return "\(id): alive \(n.alive) epoch \(n.brokerEpoch) term \(n.term.map { "L\($0.leader)e\($0.leaderEpoch)p\($0.partitionEpoch)" } ?? "-") fetch \(n.fetchSentAt.map { String(now - $0) } ?? "-") paused \(n.pausedUntil > now) leo \(n.logEndOffset) hw \(n.highWatermark.value)"
                + (n.leader.map { " leader(e\($0.leaderEpoch) p\($0.partitionEpoch) \($0.isrState) inel \($0.ineligible) f \($0.followers.mapValues { $0.logEndOffset }))" } ?? "")
        }
        return "term leader \(t.leader) e\(t.leaderEpoch) p\(t.partitionEpoch) isr \(t.isr); " + parts.joined(separator: "; ")
    }

    // MARK: - Randomness

    mutating func chance(_ p: Double) -> Bool { Double(rng.next() % 1_000_000) / 1_000_000 < p }
    mutating func uniform(_ range: ClosedRange<Int64>) -> Int64 { range.lowerBound + Int64(rng.next() % UInt64(range.upperBound - range.lowerBound + 1)) }
    mutating func exponential(_ mean: Int64) -> Int64 {
        let u = max(Double(rng.next() % 1_000_000) / 1_000_000, 1e-6)
        return max(1, Int64(-Double(mean) * log(u)))
    }
}
