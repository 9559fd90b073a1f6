import ArgumentParser
import KafkaRaftSimulation

/// `tributary simulate raft`: the seeded quorum simulation of `Tests/KafkaRaftTests`, for any number of seeds.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate", abstract: "Seeded deterministic simulations of the pure cores.",
        subcommands: [Raft.self])

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
}
