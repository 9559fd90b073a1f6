import NIOCore

/// Turns any generated schema value into JSON: the fields present in the given version, named as Kafka's schema
/// names them, in schema order. `records` fields are handed to `records`, so that record batches can be shown
/// decoded; other bytes print as standard base64.
public enum MessageJSON {
    public static func json(
        _ value: any KafkaStruct, version: Int16, records: (ByteBuffer) -> JSONValue = { .string(bytesText($0)) }
    ) -> JSONValue {
        let info = type(of: value).fieldInfo
        var members: [(String, JSONValue)] = []
        let children = Array(Mirror(reflecting: value).children)
        for (i, field) in info.enumerated() where i < children.count && field.versions.contains(version) {
            members.append((field.name, convert(children[i].value, field: field, version: version, records: records)))
        }
        if !value.unknownTaggedFields.isEmpty {
            members.append(("_unknownTaggedFields", .array(value.unknownTaggedFields.map {
                .object([("tag", .number(String($0.tag))), ("data", .string(bytesText($0.data)))])
            })))
        }
        return .object(members)
    }

    static func convert(_ any: Any, field: KafkaFieldInfo, version: Int16, records: (ByteBuffer) -> JSONValue) -> JSONValue {
        // Unwrap optionals generically: Mirror shows them as an enum with one child when present.
        let m = Mirror(reflecting: any)
        if m.displayStyle == .optional {
            guard let inner = m.children.first?.value else { return .null }
            return convert(inner, field: field, version: version, records: records)
        }
        switch any {
        case let v as any KafkaStruct: return json(v, version: version, records: records)
        case let v as ByteBuffer: return field.type == "records" ? records(v) : .string(bytesText(v))
        case let v as String: return .string(v)
        case let v as Bool: return .bool(v)
        case let v as KafkaUUID: return .string(v.base64)
        case let v as Double: return .number(v.isFinite ? "\(v)" : "null")
        case let v as any BinaryInteger: return .number("\(v)")
        case let v as [Any]: return .array(v.map { convert($0, field: field, version: version, records: records) })
        default: return .string("\(any)")
        }
    }

    /// Standard base64 of a buffer's readable bytes.
    public static func bytesText(_ b: ByteBuffer) -> String {
        Base64URL.encodeStandard(b.readableBytesView)
    }
}
