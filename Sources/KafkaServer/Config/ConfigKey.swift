/// How much an operator should care about a key (Kafka's `ConfigDef.Importance`).
public enum ConfigImportance: String, Sendable, Equatable {
    case high, medium, low
}

/// Where a key may be set: in the broker's configuration, as a topic-level override, or both under one name.
public enum ConfigScope: Sendable, Equatable {
    case broker
    case topic
    case brokerAndTopic

    /// True when the key belongs in `server.properties`.
    public var appliesToBroker: Bool { self != .topic }
    /// True when the key may be set on a topic (CreateTopics / AlterConfigs).
    public var appliesToTopic: Bool { self != .broker }
}

/// One entry of the configuration definition table: name, type, default, validator and meaning.
public struct ConfigKey: Sendable, Equatable {
    /// Kafka's key name, e.g. `log.retention.hours`.
    public let name: String
    /// The value type (what DescribeConfigs reports).
    public let type: ConfigType
    /// Nil means "no default" (Kafka's null): the key is absent unless set.
    public let defaultValue: ConfigValue?
    /// The constraint a value must meet, beyond its type.
    public let validator: ConfigValidator
    public let importance: ConfigImportance
    /// Broker key, topic key, or both under one name.
    public let scope: ConfigScope
    /// One line, our own words.
    public let documentation: String

    /// A definition; see the tables in `ConfigDefinitions+*.swift`.
    public init(
        name: String, type: ConfigType, defaultValue: ConfigValue?, validator: ConfigValidator = .none,
        importance: ConfigImportance, scope: ConfigScope = .broker, documentation: String
    ) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.validator = validator
        self.importance = importance
        self.scope = scope
        self.documentation = documentation
    }

    /// Parses and validates `text` for this key; the error names the key, the value and what was expected.
    public func parse(_ text: String, origin: ConfigOrigin) throws -> ConfigValue {
        let shown = type == .password ? "[hidden]" : text
        guard let value = ConfigValue.parse(text, as: type) else {
            // Say why a number was refused when it only overflows a 32-bit key.
            let overflows = type == .int && Int64(text.trimmingWhitespace()) != nil
            let expected = overflows ? "expected an integer between \(Int32.min) and \(Int32.max)" : type.expectation
            throw ConfigError.invalidValue(key: name, value: shown, expected: expected, origin: origin)
        }
        if let problem = validator.check(value) {
            throw ConfigError.invalidValue(key: name, value: shown, expected: problem, origin: origin)
        }
        return value
    }
}

// Short constructors so the definition tables read like Kafka's `define(...)` lists.
extension ConfigKey {
    static func string(
        _ name: String, _ value: String?, valid: ConfigValidator = .none, _ importance: ConfigImportance,
        scope: ConfigScope = .broker, _ doc: String
    ) -> ConfigKey {
        ConfigKey(name: name, type: .string, defaultValue: value.map(ConfigValue.string), validator: valid,
                  importance: importance, scope: scope, documentation: doc)
    }

    static func className(_ name: String, _ value: String?, _ importance: ConfigImportance, _ doc: String) -> ConfigKey {
        ConfigKey(name: name, type: .class, defaultValue: value.map(ConfigValue.string), importance: importance,
                  documentation: doc)
    }

    static func password(_ name: String, _ importance: ConfigImportance, _ doc: String) -> ConfigKey {
        ConfigKey(name: name, type: .password, defaultValue: nil, importance: importance, documentation: doc)
    }

    static func int(
        _ name: String, _ value: Int32?, valid: ConfigValidator = .none, _ importance: ConfigImportance,
        scope: ConfigScope = .broker, _ doc: String
    ) -> ConfigKey {
        ConfigKey(name: name, type: .int, defaultValue: value.map(ConfigValue.int), validator: valid,
                  importance: importance, scope: scope, documentation: doc)
    }

    static func short(
        _ name: String, _ value: Int16, valid: ConfigValidator = .none, _ importance: ConfigImportance, _ doc: String
    ) -> ConfigKey {
        ConfigKey(name: name, type: .short, defaultValue: .short(value), validator: valid, importance: importance,
                  documentation: doc)
    }

    static func long(
        _ name: String, _ value: Int64?, valid: ConfigValidator = .none, _ importance: ConfigImportance,
        scope: ConfigScope = .broker, _ doc: String
    ) -> ConfigKey {
        ConfigKey(name: name, type: .long, defaultValue: value.map(ConfigValue.long), validator: valid,
                  importance: importance, scope: scope, documentation: doc)
    }

    static func double(
        _ name: String, _ value: Double, valid: ConfigValidator = .none, _ importance: ConfigImportance,
        scope: ConfigScope = .broker, _ doc: String
    ) -> ConfigKey {
        ConfigKey(name: name, type: .double, defaultValue: .double(value), validator: valid, importance: importance,
                  scope: scope, documentation: doc)
    }

    static func boolean(
        _ name: String, _ value: Bool, _ importance: ConfigImportance, scope: ConfigScope = .broker, _ doc: String
    ) -> ConfigKey {
        ConfigKey(name: name, type: .boolean, defaultValue: .boolean(value), importance: importance, scope: scope,
                  documentation: doc)
    }

    static func list(
        _ name: String, _ value: [String]?, valid: ConfigValidator = .none, _ importance: ConfigImportance,
        scope: ConfigScope = .broker, _ doc: String
    ) -> ConfigKey {
        ConfigKey(name: name, type: .list, defaultValue: value.map(ConfigValue.list), validator: valid,
                  importance: importance, scope: scope, documentation: doc)
    }
}
