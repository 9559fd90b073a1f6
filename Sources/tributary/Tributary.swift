import ArgumentParser

/// The one Tributary executable: broker, controller, tools.
@main
struct Tributary: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tributary",
        abstract: "Apache Kafka, rebuilt in Swift.",
        subcommands: [ServerCommand.self, StorageCommand.self, ProtocolCommand.self, BenchCommand.self, DumpLogCommand.self, DebugCommand.self]
    )
}
