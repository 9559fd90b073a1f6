/// The value types of Kafka's `ConfigDef` (what DescribeConfigs reports as the config type).
public enum ConfigType: String, Sendable, Equatable, CaseIterable {
    case string, int, short, long, double, boolean, list, `class`, password

    /// What an operator should have written, for error messages.
    var expectation: String {
        switch self {
        case .string, .class: return "expected a string"
        case .int: return "expected an integer"
        case .short: return "expected an integer between \(Int16.min) and \(Int16.max)"
        case .long: return "expected an integer"
        case .double: return "expected a number"
        case .boolean: return "expected true or false"
        case .list: return "expected a comma-separated list"
        case .password: return "expected a password"
        }
    }
}

/// A typed configuration value. `class` values are kept as their name in `.string`.
public enum ConfigValue: Sendable, Equatable, CustomStringConvertible {
    case string(String)
    case int(Int32)
    case short(Int16)
    case long(Int64)
    case double(Double)
    case boolean(Bool)
    case list([String])
    case password(String)

    /// Parses `text` as Kafka's `ConfigDef.parseType` does: trimmed; booleans case-insensitive; lists split on
    /// commas with the surrounding whitespace removed (an empty text is an empty list). Nil when it does not parse.
    public static func parse(_ text: String, as type: ConfigType) -> ConfigValue? {
        let trimmed = text.trimmingWhitespace()
        switch type {
        case .string, .class: return .string(trimmed)
        case .password: return .password(trimmed)
        case .int: return Int32(trimmed).map(ConfigValue.int)
        case .short: return Int16(trimmed).map(ConfigValue.short)
        case .long: return Int64(trimmed).map(ConfigValue.long)
        case .double:
            guard let value = Double(trimmed), !value.isNaN else { return nil }
            return .double(value)
        case .boolean:
            switch trimmed.lowercased() {
            case "true": return .boolean(true)
            case "false": return .boolean(false)
            default: return nil
            }
        case .list:
            if trimmed.isEmpty { return .list([]) }
            return .list(trimmed.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingWhitespace() })
        }
    }

    /// The value as an integer of any width, for range checks and typed accessors.
    public var integerValue: Int64? {
        switch self {
        case .int(let v): return Int64(v)
        case .short(let v): return Int64(v)
        case .long(let v): return v
        default: return nil
        }
    }

    /// The text form Kafka would show (lists joined by commas; passwords hidden).
    public var description: String {
        switch self {
        case .string(let s): return s
        case .int(let v): return String(v)
        case .short(let v): return String(v)
        case .long(let v): return String(v)
        case .double(let v): return String(v)
        case .boolean(let v): return String(v)
        case .list(let items): return items.joined(separator: ",")
        case .password: return "[hidden]"
        }
    }
}

extension String {
    /// Trims the whitespace Java's `String.trim()` removes (every code point up to U+0020).
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0.value > 0x20 }) else { return "" }
        let last = scalars.lastIndex(where: { $0.value > 0x20 })!
        return String(scalars[first...last])
    }
}
