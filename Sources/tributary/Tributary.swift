import ArgumentParser
import KafkaServer

/// The one Tributary executable: broker, controller, tools.
@main
struct Tributary: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tributary",
        abstract: "Apache Kafka, rebuilt in Swift.",
        version: TributaryVersion.line,
        subcommands: [ServerCommand.self, TopicsCommand.self, ConsoleProducerCommand.self, ConsoleConsumerCommand.self, StorageCommand.self, ProtocolCommand.self, BenchCommand.self, DumpLogCommand.self, DebugCommand.self, SimulateCommand.self]
    )

    /// Kafka's tools exit 1 on a bad command line as on any other error; ArgumentParser's own status for usage
    /// errors is 64 (EX_USAGE). Help and --version still exit 0.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                warn(fullMessage(for: error))
                exit(withError: ExitCode.failure)
            }
            exit(withError: error)
        }
    }
}
