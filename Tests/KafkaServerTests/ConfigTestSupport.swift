@testable import KafkaServer

/// Resolves a configuration from an in-memory `server.properties`, an environment and overrides.
func loadConfig(
    file: String? = nil, environment: [String: String] = [:], overrides: [String] = []
) throws -> LoadedBrokerConfig {
    let properties = try file.map { try PropertiesFile(parsing: $0, source: "server.properties") }
    return try BrokerConfig.resolve(ConfigSources(file: properties, environment: environment, overrides: overrides))
}

/// The error a configuration is refused with, or nil when it loads.
func configError(file: String? = nil, environment: [String: String] = [:], overrides: [String] = []) -> ConfigError? {
    do {
        _ = try loadConfig(file: file, environment: environment, overrides: overrides)
        return nil
    } catch let error as ConfigError {
        return error
    } catch {
        return nil
    }
}

/// A complete combined-node configuration, as Kafka 4's config/server.properties ships it (minus comments).
let kafkaQuickstartProperties = """
    process.roles=broker,controller
    node.id=1
    controller.quorum.bootstrap.servers=localhost:9093
    listeners=PLAINTEXT://:9092,CONTROLLER://:9093
    inter.broker.listener.name=PLAINTEXT
    advertised.listeners=PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093
    controller.listener.names=CONTROLLER
    listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL
    num.network.threads=3
    num.io.threads=8
    log.dirs=/tmp/kraft-combined-logs
    num.partitions=1
    num.recovery.threads.per.data.dir=1
    log.retention.hours=168
    log.segment.bytes=1073741824
    log.retention.check.interval.ms=300000
    """
