import KafkaProtocol

/// One-line JSON, as Kafka's tools print it (JSONValue's own renderer is the indented one of `protocol decode`).
enum CompactJSON {
    static func render(_ value: JSONValue) -> String {
        var out = ""
        write(value, into: &out)
        return out
    }

    private static func write(_ value: JSONValue, into out: inout String) {
        switch value {
        case .object(let members):
            out += "{"
            for (i, (k, v)) in members.enumerated() {
                if i > 0 { out += "," }
                out += JSONValue.quote(k) + ":"
                write(v, into: &out)
            }
            out += "}"
        case .array(let items):
            out += "["
            for (i, v) in items.enumerated() {
                if i > 0 { out += "," }
                write(v, into: &out)
            }
            out += "]"
        case .string(let s): out += JSONValue.quote(s)
        case .number(let n): out += n
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        }
    }

    /// Kafka's generated JSON converters name fields in camel case (`TopicId` -> `topicId`); MessageJSON keeps the
    /// schema's spelling.
    static func camelCased(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            return .object(members.map { (k, v) in (k.prefix(1).lowercased() + k.dropFirst(), camelCased(v)) })
        case .array(let items): return .array(items.map(camelCased))
        default: return value
        }
    }
}
