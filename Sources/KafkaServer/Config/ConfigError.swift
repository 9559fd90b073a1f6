/// Why a configuration was refused. The server prints `description` and does not start.
public enum ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The properties text could not be read (a malformed escape), at `line` of `source`.
    case syntax(source: String, line: Int, message: String)
    /// A key's value failed its type or validator; `value` is already masked for passwords.
    case invalidValue(key: String, value: String, expected: String, origin: ConfigOrigin)
    /// Keys that are each valid but do not fit together (Kafka's cross-key checks).
    case inconsistent(keys: [String], message: String)
    /// The configuration file could not be read.
    case unreadableFile(path: String, reason: String)
    /// A `--override` argument that is not `key=value`.
    case malformedOverride(String)
    /// A cluster id that is not the 22-character URL-safe base64 of 16 bytes, or is reserved.
    case invalidClusterId(String, reason: String)

    public var description: String {
        switch self {
        case .syntax(let source, let line, let message):
            return "\(source) line \(line): \(message)"
        case .invalidValue(let key, let value, let expected, let origin):
            let from = origin.phrase.map { " (\($0))" } ?? ""
            return "Invalid value \(value) for configuration \(key): \(expected)\(from)"
        case .inconsistent(_, let message):
            return message
        case .unreadableFile(let path, let reason):
            return "Cannot read configuration file \(path): \(reason)"
        case .malformedOverride(let text):
            return "Invalid override '\(text)': expected key=value"
        case .invalidClusterId(let id, let reason):
            return "Invalid cluster id '\(id)': \(reason)"
        }
    }
}

/// Where a configuration value came from, so messages can point the operator at the right place.
public enum ConfigOrigin: Equatable, Hashable, Sendable {
    /// Kafka's built-in default (or ours, where documented).
    case defaultValue
    /// Filled in because nothing described a cluster: the single combined node profile.
    case singleNodeDefault
    /// A line of a properties file.
    case file(path: String, line: Int)
    /// An environment variable (`KAFKA_…` or `KAFKA_CFG_…`).
    case environment(variable: String)
    /// A `--override key=value` argument.
    case override
    /// A config entry of a client request (CreateTopics, AlterConfigs, ...) for a topic or a broker.
    case request(resource: String)

    /// True for values the operator set (file, environment or override), as opposed to defaults.
    public var isExplicit: Bool {
        switch self {
        case .defaultValue, .singleNodeDefault: return false
        case .file, .environment, .override, .request: return true
        }
    }

    /// A short phrase naming the source, or nil for defaults.
    public var phrase: String? {
        switch self {
        case .defaultValue, .singleNodeDefault: return nil
        case .file(let path, let line): return "from \(path) line \(line)"
        case .environment(let variable): return "from environment variable \(variable)"
        case .override: return "from --override"
        case .request(let resource): return "in the request's \(resource) configs"
        }
    }
}
