import Foundation
import KafkaRaft
import KafkaRaftSimulation
import Testing

/// The seeded simulation of the quorum: by default 1,000 seeds (half with 3 voters, half with 5, each with an
/// observer). `RAFT_SIM_SEED=<n> swift test --filter KafkaRaftTests.SimulationTests` replays one seed; `RAFT_SIM_SEEDS=<count>` runs that many.
@Suite struct SimulationTests {
    static let shards = 8

    static var seeds: [UInt64] {
        let env = ProcessInfo.processInfo.environment
        if let one = env["RAFT_SIM_SEED"].flatMap(UInt64.init) { return [one] }
        let count = env["RAFT_SIM_SEEDS"].flatMap(Int.init) ?? 1000
        return (0..<UInt64(max(0, count))).map { $0 }
    }

    /// 3 voters for even seeds, 5 for odd ones; always one observer.
    static func config(_ seed: UInt64) -> SimulationConfig {
        SimulationConfig(voters: seed % 2 == 0 ? 3 : 5, observers: 1)
    }

    @Test(arguments: 0..<shards)
    func seedsKeepEveryInvariantAndRecover(shard: Int) throws {
        var totals = SimulationReport(seed: 0)
        var runs = 0
        for seed in Self.seeds where Int(seed % UInt64(Self.shards)) == shard {
            var sim = RaftSimulation(seed: seed, config: Self.config(seed))
            do {
                let r = try sim.run()
                runs += 1
                totals.steps += r.steps
                totals.crashes += r.crashes
                totals.snapshotsTaken += r.snapshotsTaken
                totals.snapshotsInstalled += r.snapshotsInstalled
                totals.truncations += r.truncations
                totals.maxEpoch = max(totals.maxEpoch, r.maxEpoch)
                totals.committedOffset += r.committedOffset
            } catch {
                Issue.record("\(error)")
                print("FAILED \(error)")
                return
            }
        }
        print("raft simulation shard \(shard): \(runs) seeds, \(totals.steps) steps, \(totals.crashes) crashes, "
              + "\(totals.snapshotsTaken) snapshots taken, \(totals.snapshotsInstalled) installed, \(totals.truncations) truncations, "
              + "max epoch \(totals.maxEpoch), committed offsets summed \(totals.committedOffset)")
    }
}
