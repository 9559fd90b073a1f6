/// The typed value and origin of every broker key: what the server reads settings from and what
/// DescribeConfigs reports (origin tells a default from a static setting).
public struct ConfigValues: Sendable, Equatable {
    /// One key's value and where it came from.
    public struct Entry: Sendable, Equatable {
        /// Nil when the key has no default and was not set (Kafka's null).
        public var value: ConfigValue?
        /// Default, single-node default, file line, environment variable or override.
        public var origin: ConfigOrigin
    }

    /// Every defined broker key by name.
    public private(set) var entries: [String: Entry]

    /// Values as given (the loader fills every broker key).
    public init(entries: [String: Entry] = [:]) {
        self.entries = entries
    }

    /// The entry of `name`, nil for keys the table does not define at broker level.
    public subscript(name: String) -> Entry? { entries[name] }

    mutating func set(_ name: String, _ value: ConfigValue?, origin: ConfigOrigin) {
        entries[name] = Entry(value: value, origin: origin)
    }

    /// True when an operator set `name` (file, environment or override).
    public func isExplicit(_ name: String) -> Bool { entries[name]?.origin.isExplicit ?? false }

    // Typed reads of keys the table defines; a missing or mistyped key is a programming error in this module.

    /// The value of an INT key.
    public func int(_ name: String) -> Int32 {
        guard case .int(let v)? = entries[name]?.value else { preconditionFailure("\(name) is not a set int") }
        return v
    }

    /// The value of a SHORT key.
    public func short(_ name: String) -> Int16 {
        guard case .short(let v)? = entries[name]?.value else { preconditionFailure("\(name) is not a set short") }
        return v
    }

    /// The value of a LONG key with a value.
    public func long(_ name: String) -> Int64 {
        guard case .long(let v)? = entries[name]?.value else { preconditionFailure("\(name) is not a set long") }
        return v
    }

    /// The value of a DOUBLE key.
    public func double(_ name: String) -> Double {
        guard case .double(let v)? = entries[name]?.value else { preconditionFailure("\(name) is not a set double") }
        return v
    }

    /// The value of a BOOLEAN key.
    public func bool(_ name: String) -> Bool {
        guard case .boolean(let v)? = entries[name]?.value else { preconditionFailure("\(name) is not a set boolean") }
        return v
    }

    /// The value of a LIST key.
    public func list(_ name: String) -> [String] {
        guard case .list(let v)? = entries[name]?.value else { preconditionFailure("\(name) is not a set list") }
        return v
    }

    /// A string, class name or password; nil when unset without default.
    public func string(_ name: String) -> String? {
        switch entries[name]?.value {
        case .string(let s)?, .password(let s)?: return s
        default: return nil
        }
    }

    /// The integer value of any width, nil when unset without default.
    public func optionalInteger(_ name: String) -> Int64? { entries[name]?.value?.integerValue }
}
