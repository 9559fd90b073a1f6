import ArgumentParser
import KafkaServer
import KafkaStorage
import Logging

/// `tributary storage ...`: the kafka-storage.sh equivalents.
struct StorageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage", abstract: "Format log directories, make cluster ids.",
        subcommands: [Format.self, RandomUUID.self])

    /// `storage format`: writes `meta.properties` into every log directory and the metadata directory.
    ///
    /// Exit status as kafka-storage.sh's: 0 when formatted (or, with --ignore-formatted, when there was nothing to
    /// do), 1 for any error (bad configuration, already formatted, a running node holding the directories); usage
    /// errors print this subcommand's usage.
    struct Format: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Format the log directories of a node for a cluster.",
            discussion: "Without --config, formats the single-node default directory (./data) for node 1.")
        @Option(name: [.customShort("t"), .customLong("cluster-id")], help: "The cluster id (22-character base64; `tributary storage random-uuid` makes one).") var clusterId: String
        @Option(name: [.customShort("c"), .customLong("config")], help: "The node's server.properties.") var config: String?
        @Flag(name: [.customShort("g"), .customLong("ignore-formatted")], help: "Succeed when already formatted.") var ignoreFormatted = false

        func run() throws {
            do {
                try format()
            } catch let error as ExitCode {
                throw error
            } catch {
                // Runtime errors end with status 1 and this subcommand's usage, never the top-level help.
                warn("Error: \(error)")
                warn(Self.usageString())
                throw ExitCode(1)
            }
        }

        private func format() throws {
            _ = try StorageFormatting.validateClusterId(clusterId)
            let loaded = try BrokerConfig.load(propertiesPath: config, environment: ProcessInfoLite.environment)
            let fs = PosixFileSystem()
            let dirs = StorageFormatting.directoriesToFormat(loaded.config)
            // A running node holds these: formatting under it would race its own writes.
            let locks = try DirectoryLocks.acquire(dirs)
            defer { locks.release() }
            let formatted = dirs.filter { fs.exists($0 + "/" + MetaProperties.fileName) }
            if !formatted.isEmpty && !ignoreFormatted {
                throw StorageFormatFailure("Log directory \(formatted[0]) is already formatted. Use --ignore-formatted to ignore this directory and format the others.")
            }
            let todo = dirs.filter { !formatted.contains($0) }
            guard !todo.isEmpty else {
                print("All of the log directories are already formatted.")
                return
            }
            var quiet = Logger(label: "storage")
            quiet.logLevel = .error
            try StorageFormatter.ensureFormatted(config: loaded.config, clusterId: clusterId, fileSystem: fs, logger: quiet)
            let source = config == nil ? " (no --config: the single-node default, node.id 1)" : ""
            print("Formatting \(todo.joined(separator: ", "))\(source) with metadata.version 3.7-IV4.")
        }

        /// The USAGE paragraph of this subcommand's help, with its full command path.
        static func usageString() -> String {
            let help = Tributary.helpMessage(for: Format.self)
            let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
            guard let start = lines.firstIndex(where: { $0.hasPrefix("USAGE:") }) else { return help }
            let end = lines[start...].firstIndex(where: { $0.isEmpty }) ?? lines.endIndex
            return lines[start..<end].joined(separator: "\n") + "\n  See 'tributary storage format --help'."
        }
    }

    struct RandomUUID: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "random-uuid", abstract: "Print a new cluster id.")
        func run() { print(StorageFormatting.randomClusterId()) }
    }
}

/// An error of `storage format` whose message is the whole story.
struct StorageFormatFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
