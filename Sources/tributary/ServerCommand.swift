import ArgumentParser
import Dispatch
import KafkaServer
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `tributary server`: a Kafka node (broker and controller in one process).
struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Run a Kafka node: broker + KRaft controller in one process.",
        discussion: """
            With no configuration: one node on localhost:9092, data in ./data, formatted on first start. Otherwise \
            Kafka's server.properties keys; KAFKA_* / KAFKA_CFG_* environment variables and --override key=value \
            take precedence, in that order. CLUSTER_ID names the cluster when formatting. TRIBUTARY_LOG_LEVEL \
            (trace, debug, info, notice, warning, error, critical; default info) sets the log level; \
            KAFKA_LOG4J_ROOT_LOGLEVEL (TRACE, DEBUG, INFO, WARN, ERROR) is read when it is not set.
            """,
        version: TributaryVersion.line)

    @Option(name: .customLong("config"), help: "A server.properties file.") var configFile: String?
    @Argument(help: "A server.properties file (as kafka-server-start.sh takes it).") var positionalConfig: String?
    @Option(name: .customLong("override"), help: "key=value, overriding the file and the environment.")
    var overrides: [String] = []

    func run() async throws {
        // Before anything binds a port: a supervisor (a test, docker stop) may send SIGTERM the moment the
        // listener answers, while start-up is still finishing; that must be a clean stop, not death by signal.
        let termination = TerminationSignals.install()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = LogLevelSetting.resolve(
                tributary: ProcessInfoLite.env("TRIBUTARY_LOG_LEVEL"), log4j: ProcessInfoLite.env("KAFKA_LOG4J_ROOT_LOGLEVEL"))
            return handler
        }
        let logger = Logger(label: "tributary")
        // Before any listener or log directory opens descriptors: each client connection is one.
        OpenFileLimit.raiseSoftToHard(logger: logger)
        let loaded: LoadedBrokerConfig
        do {
            loaded = try BrokerConfig.load(
                propertiesPath: configFile ?? positionalConfig, environment: ProcessInfoLite.environment,
                overrides: overrides)
        } catch {
            logger.critical("refusing to start: \(error)")
            throw ExitCode(1)
        }
        logger.info("Tributary \(TributaryVersion.line), node \(loaded.config.nodeId), process.roles=\(loaded.config.processRoles.map(\.rawValue).sorted().joined(separator: ","))")
        logger.info("configuration: \(loaded.sourcesSummary)")
        logger.info("listeners: \(loaded.config.listeners.map { "\($0)" }.joined(separator: ", ")); advertised: \((loaded.config.advertisedListeners + loaded.config.advertisedControllerListeners).map { "\($0)" }.joined(separator: ", ")); log.dirs=\(loaded.config.logDirs.joined(separator: ","))")
        for w in loaded.warnings { logger.warning("\(w)") }
        for n in loaded.notices { logger.info("\(n)") }
        let broker: Broker
        do {
            broker = try await Broker.start(config: loaded.config, clusterIdFromEnvironment: loaded.clusterIdFromEnvironment, logger: logger)
        } catch {
            logger.critical("refusing to start: \(error)")
            throw ExitCode(1)
        }
        logger.info("started node \(loaded.config.nodeId) (cluster \(broker.context.clusterId))")
        // SIGUSR1: the requests served so far, per API (what a benchmark divides the broker's CPU time by).
        termination.onStatsRequest { logger.info("\(RequestCounts.shared.summary)") }
        let config = loaded.config
        let ready = Task {
            do {
                try await broker.waitUntilServing()
            } catch is CancellationError {
                return
            } catch {
                // In a quorum the client listeners are bound after the registration: a bind failure ends the node.
                logger.critical("refusing to serve: \(error)")
                termination.fail()
                return
            }
            if let first = config.advertisedListeners.first {
                let address = "\(first.host ?? "localhost"):\(broker.boundPorts[first.name] ?? first.port)"
                logger.info("ready: clients connect to \(address); try it: kcat -b \(address) -L")
            } else if !config.isBroker {
                logger.info("ready: controller only (process.roles=controller); brokers reach it through controller.quorum.voters")
            }
        }
        await termination.wait()
        ready.cancel()
        logger.info("shutting down")
        await broker.shutdown()
        if termination.failed { throw ExitCode(1) }
    }
}

/// The log level from TRIBUTARY_LOG_LEVEL (swift-log's names), else from the images' KAFKA_LOG4J_ROOT_LOGLEVEL
/// (log4j's names), else info.
enum LogLevelSetting {
    static func resolve(tributary: String?, log4j: String?) -> Logger.Level {
        if let t = tributary?.lowercased(), let level = Logger.Level(rawValue: t == "warn" ? "warning" : t) { return level }
        switch log4j?.uppercased() {
        case "TRACE": return .trace
        case "DEBUG": return .debug
        case "WARN": return .warning
        case "ERROR": return .error
        case "FATAL": return .critical
        default: return .info
        }
    }
}

/// The process environment without Foundation.
enum ProcessInfoLite {
    static var environment: [String: String] {
        var out: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") { out[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            p += 1
        }
        return out
    }
    static func env(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
}
