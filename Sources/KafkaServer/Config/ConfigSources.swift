import Foundation

/// The layers a configuration is built from, lowest priority first: built-in defaults (implicit),
/// `server.properties`, environment variables, then `--override key=value` arguments.
public struct ConfigSources: Sendable {
    public var file: PropertiesFile?
    public var environment: EnvironmentConfig
    /// Parsed `--override` arguments in command-line order (a later one wins).
    public var overrides: [(key: String, value: String)]

    /// Layers from already-read parts; `overrides` are `key=value` texts split at the first `=`.
    public init(file: PropertiesFile? = nil, environment: [String: String] = [:], overrides: [String] = []) throws {
        self.file = file
        self.environment = EnvironmentConfig(environment: environment)
        self.overrides = try overrides.map(Self.parseOverride)
    }

    /// Reads `propertiesPath` (when given) and layers it under `environment` and `overrides`.
    public static func read(
        propertiesPath: String?, environment: [String: String], overrides: [String]
    ) throws -> ConfigSources {
        let file = try propertiesPath.map { path in try PropertiesFile(parsing: readText(path), source: path) }
        return try ConfigSources(file: file, environment: environment, overrides: overrides)
    }

    /// Splits `key=value` at the first `=`; the key is trimmed, the value kept as typed.
    static func parseOverride(_ text: String) throws -> (key: String, value: String) {
        guard let equals = text.firstIndex(of: "=") else { throw ConfigError.malformedOverride(text) }
        let key = String(text[..<equals]).trimmingWhitespace()
        guard !key.isEmpty else { throw ConfigError.malformedOverride(text) }
        return (key, String(text[text.index(after: equals)...]))
    }

    /// One line for the startup log: each layer that set something, lowest priority first, e.g.
    /// `file config/server.properties (14 keys); environment KAFKA_NODE_ID, KAFKA_LISTENERS; overrides log.dirs`.
    public var summary: String {
        var parts: [String] = []
        if let file { parts.append("file \(file.source) (\(file.entries.count) key\(file.entries.count == 1 ? "" : "s"))") }
        let variables = environment.entries.values.map(\.variable).sorted()
        if !variables.isEmpty { parts.append("environment \(variables.joined(separator: ", "))") }
        if !overrides.isEmpty { parts.append("overrides \(overrides.map(\.key).joined(separator: ", "))") }
        return parts.isEmpty ? "Kafka's defaults only (no file, no KAFKA_* variables, no --override)" : "defaults <- " + parts.joined(separator: " <- ")
    }

    /// Every key set by some layer, with the text and origin of the winning layer.
    func layered() -> [String: (text: String, origin: ConfigOrigin)] {
        var result: [String: (text: String, origin: ConfigOrigin)] = [:]
        if let file {
            for entry in file.entries {
                result[entry.key] = (entry.value, .file(path: file.source, line: entry.line))
            }
        }
        for (key, item) in environment.entries {
            result[key] = (item.value, .environment(variable: item.variable))
        }
        for (key, value) in overrides {
            result[key] = (value, .override)
        }
        return result
    }

    // Kafka reads properties files as ISO-8859-1; we take UTF-8 and fall back to Latin-1 for other bytes.
    private static func readText(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "not readable" : "no such file"
            throw ConfigError.unreadableFile(path: path, reason: reason)
        }
        let bytes = [UInt8](data)
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }
}
