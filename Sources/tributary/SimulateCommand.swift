import ArgumentParser
import KafkaRaftSimulation
import KafkaReplicationSimulation

/// `tributary simulate raft|replication`: the seeded simulations of `Tests/KafkaRaftTests` and
/// `Tests/KafkaReplicationTests`, for any number of seeds.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate", abstract: "Seeded deterministic simulations of the pure cores.",
        subcommands: [Raft.self, Replication.self])

    struct Raft: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Simulate KRaft quorums (loss, delay, reordering, partitions, crashes) and check Kafka's invariants after every step.",
            discussion: """
                Seed s runs 3 voters when even and 5 when odd, plus one observer (as the swift test does). A \
                failing seed prints RAFT_SIM_SEED=<s> and its message; `--from S --seeds 1` replays it. Exit \
                status 1 when any seed failed.
                """)
        @Option(help: "How many seeds to run.") var seeds = 1000
        @Option(help: "The first seed.") var from: UInt64 = 0
        @Option(help: "Voters for every seed (default: 3 for even seeds, 5 for odd).") var voters: Int?
        @Option(help: "Observers per run.") var observers = 1
        @Flag(help: "Print every seed's report.") var verbose = false

        func run() throws {
            var failures: [String] = []
            var steps = 0, crashes = 0, snapshots = 0, truncations = 0
            var maxEpoch: Int32 = 0
            let started = ContinuousClock.now
            for seed in from ..< from + UInt64(max(0, seeds)) {
                let config = SimulationConfig(voters: voters ?? (seed % 2 == 0 ? 3 : 5), observers: observers)
                var sim = RaftSimulation(seed: seed, config: config)
                do {
                    let r = try sim.run()
                    steps += r.steps
                    crashes += r.crashes
                    snapshots += r.snapshotsInstalled
                    truncations += r.truncations
                    maxEpoch = max(maxEpoch, r.maxEpoch)
                    if verbose { print(r) }
                } catch {
                    failures.append("\(error)")
                    print("FAILED \(error)")
                }
                let done = seed - from + 1
                if !verbose, done % 100 == 0 { print("... \(done) seeds") }
            }
            let elapsed = ContinuousClock.now - started
            print("raft simulation: \(seeds) seeds from \(from), \(seeds - failures.count) passed, \(failures.count) failed; "
                  + "\(steps) steps, \(crashes) crashes, \(snapshots) snapshots installed, \(truncations) truncations, "
                  + "max epoch \(maxEpoch), \(elapsed.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))")
            if !failures.isEmpty { throw ExitCode.failure }
        }
    }

    struct Replication: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Simulate one partition over three replicas (kill -9 with unflushed loss, SIGSTOP, isolation) with an acks=all producer; check the replication rules after every step.",
            discussion: """
                A failing seed prints REPLICATION_SIM_SEED=<s> and its message; `--from S --seeds 1 --trace` replays \
                it event by event. Exit status 1 when any seed failed.
                """)
        @Option(help: "How many seeds to run.") var seeds = 1000
        @Option(help: "The first seed.") var from: UInt64 = 1
        @Option(help: "Simulated milliseconds of faults per seed.") var chaosMs: Int64 = 20_000
        @Flag(help: "Print every event (for replaying one seed).") var trace = false
        @Flag(help: "Print every seed's report.") var verbose = false

        func run() throws {
            var failures = 0, acked = 0, faults = 0, lost = 0, duplicated = 0, reordered = 0
            let started = ContinuousClock.now
            for seed in from ..< from + UInt64(max(0, seeds)) {
                var config = ReplicationSimulationConfig()
                config.chaosMs = chaosMs
                config.trace = trace
                var sim = ReplicationSimulation(seed: seed, config: config)
                do {
                    let r = try sim.run()
                    acked += r.acknowledged
                    faults += r.crashes + r.pauses + r.isolations
                    if verbose { print(r) }
                } catch {
                    failures += 1
                    print("FAILED \(error)")
                }
                lost += sim.report.lost
                duplicated += sim.report.duplicated
                reordered += sim.report.reordered
                let done = seed - from + 1
                if !verbose, done % 100 == 0 { print("... \(done) seeds") }
            }
            let elapsed = ContinuousClock.now - started
            print("replication simulation: \(seeds) seeds from \(from), \(seeds - failures) passed, \(failures) failed; "
                  + "\(faults) faults, \(acked) acknowledged, \(lost) lost, \(duplicated) duplicated, \(reordered) reordered, "
                  + "\(elapsed.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))")
            if failures > 0 { throw ExitCode.failure }
        }
    }
}
