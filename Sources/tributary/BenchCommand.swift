import ArgumentParser

/// `tributary bench ...`: benchmarks that print figures.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run benchmarks and print figures (build with -c release for meaningful numbers).",
        subcommands: [ProtocolBench.self, StorageBench.self, CoordinatorBench.self, CleanerBench.self]
    )

    struct CoordinatorBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "coordinator",
            abstract: "The KIP-848 group coordinator shard alone: joins, heartbeats until stable, stable heartbeats.")
        @Option(help: "Group members.") var members: Int = 1000
        @Option(help: "Partitions of the subscribed topic.") var partitions: Int32 = 10_000

        func run() throws {
            var bench = CoordinatorBenchmark(members: members, partitions: partitions)
            for line in bench.run() { print(line) }
        }
    }

    struct ProtocolBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "protocol",
            abstract: "Protocol layer: Produce request decode/encode, CRC-32C, codecs next to the bare C libraries.")
        @Option(help: "Seconds per measurement.") var seconds: Double = 1.0

        func run() throws {
            for line in runProduceBenchmark(seconds: seconds) { print(line) }
            for line in runCodecBenchmark(seconds: seconds) { print(line) }
        }
    }
}
