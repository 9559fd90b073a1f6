/// A constraint on a parsed value, mirroring the validators of Kafka's `ConfigDef`.
public enum ConfigValidator: Sendable, Equatable {
    /// Any value of the right type.
    case none
    /// An integer no smaller than the bound.
    case atLeast(Int64)
    /// An integer in the closed range, or exactly `orSpecial` (e.g. gzip level -1 meaning "codec default").
    case between(Int64, Int64, orSpecial: Int64? = nil)
    /// A double in the closed range.
    case doubleBetween(Double, Double)
    /// A string from the set (case-sensitive, as Kafka's `ValidString`).
    case oneOf([String])
    /// A string from the set, ignoring case (Kafka's `CaseInsensitiveValidString`).
    case oneOfIgnoringCase([String])
    /// A list whose every item is in the set (Kafka's `ValidList`).
    case listOf([String])
    /// A string or list that is not empty.
    case nonEmpty

    /// Nil when `value` passes, otherwise what was expected, phrased for "Invalid value X for configuration K: …".
    public func check(_ value: ConfigValue?) -> String? {
        // A key without a value (no default, not set) is "null" in Kafka, which only the non-empty rule refuses.
        guard let value else { return self == .nonEmpty ? "must not be empty" : nil }
        switch self {
        case .none:
            return nil
        case .atLeast(let min):
            guard let v = value.integerValue, v < min else { return nil }
            return "must be at least \(min)"
        case .between(let low, let high, let special):
            guard let v = value.integerValue, v < low || v > high, v != special else { return nil }
            let alternative = special.map { " (or \($0))" } ?? ""
            return "must be between \(low) and \(high)\(alternative)"
        case .doubleBetween(let low, let high):
            guard case .double(let v) = value, v < low || v > high else { return nil }
            return "must be between \(Self.format(low)) and \(Self.format(high))"
        case .oneOf(let allowed):
            guard case .string(let s) = value, !allowed.contains(s) else { return nil }
            return "expected one of \(allowed.joined(separator: ", "))"
        case .oneOfIgnoringCase(let allowed):
            guard case .string(let s) = value,
                  !allowed.contains(where: { $0.lowercased() == s.lowercased() }) else { return nil }
            return "expected one of \(allowed.joined(separator: ", "))"
        case .listOf(let allowed):
            guard case .list(let items) = value, let bad = items.first(where: { !allowed.contains($0) }) else { return nil }
            let what = bad.isEmpty ? "an empty item" : "'\(bad)'"
            return "expected a comma-separated list of \(allowed.joined(separator: ", ")) (found \(what))"
        case .nonEmpty:
            switch value {
            case .string(let s) where s.isEmpty, .password(let s) where s.isEmpty: return "must not be empty"
            case .list(let items) where items.isEmpty: return "must not be empty"
            default: return nil
            }
        }
    }

    private static func format(_ d: Double) -> String {
        d == d.rounded() ? String(Int64(d)) : String(d)
    }
}
