/// Configuration taken from environment variables, the way the common Kafka container images read it.
///
/// - Official `apache/kafka` image: `KAFKA_` + the key in upper case; after stripping the prefix a single `_`
///   becomes `.`, `__` becomes `_`, `___` becomes `-`, and the result is lower-cased
///   (`KAFKA_NODE_ID` → `node.id`, `KAFKA_LISTENER_NAME_CLIENT__A_SSL_KEYSTORE_TYPE`
///   → `listener.name.client_a.ssl.keystore.type`).
/// - Bitnami image: `KAFKA_CFG_` + the key. Bitnami turns every `_` into `.`; we apply the rule above, which
///   agrees for every name with single underscores, then Bitnami's fix-ups `sasl.ssl` → `sasl_ssl` and
///   `sasl.plaintext` → `sasl_plaintext` (listener names inside `listener.name.*` keys).
///   When any `KAFKA_CFG_` variable is present the environment is Bitnami-style: its plain `KAFKA_` variables
///   are the image's own settings (`KAFKA_ENABLE_KRAFT`, `KAFKA_LOG_DIR`, ...) and are not read as keys.
/// - `CLUSTER_ID` (both images; Bitnami's `KAFKA_KRAFT_CLUSTER_ID` and `KAFKA_CLUSTER_ID` as fallbacks) is the
///   id to format storage with, not a configuration key.
/// - Empty values are skipped, as Bitnami does, so `KAFKA_X=` in a compose file leaves the key unset.
public struct EnvironmentConfig: Sendable, Equatable {
    /// Configuration keys found, with their value and the variable that set them.
    public var entries: [String: (value: String, variable: String)] {
        storage.mapValues { ($0.value, $0.variable) }
    }
    /// The cluster id from `CLUSTER_ID`, `KAFKA_KRAFT_CLUSTER_ID` or `KAFKA_CLUSTER_ID`, if given.
    public private(set) var clusterId: String?
    /// Informational lines for the server log (what was ignored and why).
    public private(set) var notices: [String] = []

    private struct Item: Equatable {
        var value: String
        var variable: String
    }
    private var storage: [String: Item] = [:]

    /// Variables of the images' launch scripts that are not broker configuration (JVM and logging settings).
    public static let nonConfigVariables: Set<String> = [
        "KAFKA_HEAP_OPTS", "KAFKA_OPTS", "KAFKA_JMX_OPTS", "KAFKA_JMX_PORT", "KAFKA_JMX_HOSTNAME", "KAFKA_LOG4J_OPTS",
        "KAFKA_LOG4J_ROOT_LOGLEVEL", "KAFKA_LOG4J_LOGGERS", "KAFKA_TOOLS_LOG4J_LOGLEVEL", "KAFKA_HOME", "KAFKA_VERSION",
        "KAFKA_JVM_PERFORMANCE_OPTS", "KAFKA_GC_LOG_OPTS", "KAFKA_DEBUG", "KAFKA_CLASSPATH", "KAFKA_CLUSTER_ID",
        "KAFKA_KRAFT_CLUSTER_ID", "KAFKA_SSL_KEYSTORE_FILENAME", "KAFKA_SSL_KEY_CREDENTIALS",
        "KAFKA_SSL_KEYSTORE_CREDENTIALS", "KAFKA_SSL_TRUSTSTORE_FILENAME", "KAFKA_SSL_TRUSTSTORE_CREDENTIALS",
    ]

    /// Reads `environment` (normally the process environment).
    public init(environment: [String: String]) {
        clusterId = [environment["CLUSTER_ID"], environment["KAFKA_KRAFT_CLUSTER_ID"], environment["KAFKA_CLUSTER_ID"]]
            .compactMap { $0?.trimmingWhitespace() }.first { !$0.isEmpty }
        let bitnami = environment.keys.contains { $0.hasPrefix("KAFKA_CFG_") }
        var skipped: [String] = []
        // Sorted so that results and notices do not depend on dictionary order.
        for (variable, value) in environment.sorted(by: { $0.key < $1.key }) {
            guard variable.hasPrefix("KAFKA_"), !Self.nonConfigVariables.contains(variable) else { continue }
            let isCfg = variable.hasPrefix("KAFKA_CFG_")
            if bitnami && !isCfg {
                skipped.append(variable)
                continue
            }
            if value.isEmpty {
                notices.append("Ignoring empty environment variable \(variable)")
                continue
            }
            let key = isCfg ? Self.bitnamiKey(variable) : Self.officialKey(variable)
            guard !key.isEmpty else { continue }
            storage[key] = Item(value: value, variable: variable)
        }
        if !skipped.isEmpty {
            notices.append("Bitnami-style environment (KAFKA_CFG_*): not reading \(skipped.joined(separator: ", ")) "
                + "as configuration")
        }
    }

    /// The key an official-image variable stands for (`KAFKA_LOG_RETENTION_MS` → `log.retention.ms`).
    public static func officialKey(_ variable: String) -> String {
        convert(String(variable.dropFirst("KAFKA_".count)))
    }

    /// The key a Bitnami variable stands for (`KAFKA_CFG_NODE_ID` → `node.id`).
    public static func bitnamiKey(_ variable: String) -> String {
        convert(String(variable.dropFirst("KAFKA_CFG_".count)))
            .replacing("sasl.ssl", with: "sasl_ssl")
            .replacing("sasl.plaintext", with: "sasl_plaintext")
    }

    // Runs of underscores: one → ".", two → "_", three → "-"; longer runs are undefined in the image and kept.
    static func convert(_ name: String) -> String {
        var result = ""
        var run = 0
        func flush() {
            switch run {
            case 0: break
            case 1: result += "."
            case 2: result += "_"
            case 3: result += "-"
            default: result += String(repeating: "_", count: run)
            }
            run = 0
        }
        for character in name {
            if character == "_" {
                run += 1
            } else {
                flush()
                result.append(character)
            }
        }
        flush()
        return result.lowercased()
    }
}
