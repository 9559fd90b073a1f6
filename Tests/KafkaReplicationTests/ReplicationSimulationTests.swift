import Foundation
import KafkaReplicationSimulation
import Testing

@Suite struct ReplicationSimulationTests {
    /// Seeds 1...200: kill -9 with unflushed loss, SIGSTOP past the session, isolation of a node, under loss and
    /// reordering; every rule after every step, convergence after healing. A failure prints its seed; replay it
    /// with `tributary simulate replication --seed N`.
    @Test func seededRunsKeepEveryAcknowledgedRecord() throws {
        var acked = 0, faults = 0
        for seed in UInt64(1)...200 {
            var sim = ReplicationSimulation(seed: seed)
            let report = try sim.run()
            acked += report.acknowledged
            faults += report.crashes + report.pauses + report.isolations
            #expect(report.lost == 0 && report.duplicated == 0 && report.reordered == 0, "\(report)")
        }
        // The runs did something: records were acknowledged through faults.
        #expect(acked > 10_000)
        #expect(faults > 400)
        print("replication simulation: 200 seeds, \(acked) acknowledged, \(faults) faults")
    }
}
