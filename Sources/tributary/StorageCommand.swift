import ArgumentParser
import KafkaServer
import KafkaStorage
import Logging

/// `tributary storage ...`: the kafka-storage.sh equivalents.
struct StorageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage", abstract: "Format log directories, make cluster ids.",
        subcommands: [Format.self, RandomUUID.self])

    struct Format: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Format the log directories of a node for a cluster.")
        @Option(name: [.customShort("t"), .customLong("cluster-id")], help: "The cluster id (22-character base64).") var clusterId: String
        @Option(name: [.customShort("c"), .customLong("config")], help: "The node's server.properties.") var config: String?
        @Flag(name: [.customShort("g"), .customLong("ignore-formatted")], help: "Succeed when already formatted.") var ignoreFormatted = false

        func run() throws {
            let loaded = try BrokerConfig.load(propertiesPath: config, environment: ProcessInfoLite.environment)
            let fs = PosixFileSystem()
            let dirs = StorageFormatting.directoriesToFormat(loaded.config)
            let formatted = dirs.filter { fs.exists($0 + "/" + MetaProperties.fileName) }
            if !formatted.isEmpty && !ignoreFormatted {
                throw ValidationError("Log directory \(formatted[0]) is already formatted. Use --ignore-formatted to ignore this directory and format the others.")
            }
            try StorageFormatter.ensureFormatted(config: loaded.config, clusterId: clusterId, fileSystem: fs, logger: Logger(label: "storage"))
            for d in dirs where !formatted.contains(d) { print("Formatting \(d) with metadata.version 3.7-IV4.") }
        }
    }

    struct RandomUUID: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "random-uuid", abstract: "Print a new cluster id.")
        func run() { print(StorageFormatting.randomClusterId()) }
    }
}
