import ArgumentParser

/// `tributary bench ...`: benchmarks that print figures.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run benchmarks and print figures (build with -c release for meaningful numbers).",
        subcommands: [ProtocolBench.self, StorageBench.self]
    )

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
