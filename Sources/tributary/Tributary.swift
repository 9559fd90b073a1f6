import ArgumentParser

/// The one Tributary executable: broker, controller, tools.
@main
struct Tributary: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tributary",
        abstract: "Apache Kafka, rebuilt in Swift.",
        subcommands: [ProtocolCommand.self, BenchCommand.self, DumpLogCommand.self]
    )
}
