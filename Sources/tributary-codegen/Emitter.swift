/// Writes the Swift source of one schema: a struct for the message with every nested struct inside it.
struct Emitter {
    let schema: Schema
    /// Every struct type of the message by name (inline and common), with the versions in which it is used.
    private var structs: [String: StructDef] = [:]
    private var structOrder: [String] = []
    private var structContext: [String: Versions] = [:]
    private var out = ""
    private var indent = 0

    static let reservedTypeNames: Set<String> = [
        "String", "Int8", "Int16", "Int32", "Int64", "UInt16", "UInt32", "Double", "Bool", "ByteBuffer",
        "KafkaUUID", "TaggedField", "KafkaFieldInfo", "VersionSet", "ProtocolError", "Type", "Protocol", "Self",
        "Error", "Optional", "Array",
    ]
    static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout",
        "internal", "let", "open", "operator", "private", "protocol", "public", "rethrows", "static", "struct",
        "subscript", "typealias", "var", "break", "case", "continue", "default", "defer", "do", "else",
        "fallthrough", "for", "guard", "if", "in", "repeat", "return", "switch", "where", "while", "as", "catch",
        "false", "is", "nil", "super", "self", "Self", "throw", "throws", "true", "try", "Any", "Type",
    ]

    init(schema: Schema) throws {
        self.schema = schema
        for cs in schema.commonStructs { try register(cs.name, fields: cs.fields) }
        try collect(schema.fields)
        try computeContexts(schema.fields, context: schema.validVersions)
    }

    private mutating func register(_ name: String, fields: [Field]) throws {
        if let existing = structs[name] {
            if existing.fields.map(\.name) != fields.map(\.name) {
                throw CodegenError("\(schema.name): struct \(name) defined twice differently")
            }
            return
        }
        structs[name] = StructDef(name: name, fields: fields)
        structOrder.append(name)
    }

    private mutating func collect(_ fields: [Field]) throws {
        for f in fields {
            if let sub = f.fields {
                try register(f.elementType, fields: sub)
                try collect(sub)
            }
        }
        for cs in schema.commonStructs { try collectCommon(cs.fields) }
    }

    private mutating func collectCommon(_ fields: [Field]) throws {
        for f in fields where f.fields != nil {
            try register(f.elementType, fields: f.fields!)
            try collectCommon(f.fields!)
        }
    }

    private mutating func computeContexts(_ fields: [Field], context: Versions) throws {
        for f in fields where isStruct(f.elementType) {
            let v = f.versions.intersection(context)
            let before = structContext[f.elementType] ?? .none
            let after = before.union(v)
            if after != before || structContext[f.elementType] == nil {
                structContext[f.elementType] = after
                try computeContexts(structs[f.elementType]!.fields, context: after)
            }
        }
    }

    /// The nested structs that appear in some version, with the versions in which they are used.
    func structsWithContext() -> [(String, Versions)] {
        structOrder.compactMap { n in structContext[n].flatMap { $0.isEmpty ? nil : (n, $0) } }
    }

    func structFields(_ name: String) -> [Field] { structs[name]!.fields }

    func isStruct(_ t: String) -> Bool { Emitter.primitive(t) == nil }

    static func primitive(_ t: String) -> String? {
        switch t {
        case "bool": return "Bool"
        case "int8": return "Int8"
        case "int16": return "Int16"
        case "int32": return "Int32"
        case "int64": return "Int64"
        case "uint16": return "UInt16"
        case "uint32": return "UInt32"
        case "float64": return "Double"
        case "string": return "String"
        case "bytes", "records": return "ByteBuffer"
        case "uuid": return "KafkaUUID"
        default: return nil
        }
    }

    func typeName(_ schemaType: String) -> String {
        if let p = Emitter.primitive(schemaType) { return p }
        return Emitter.reservedTypeNames.contains(schemaType) ? schemaType + "Struct" : schemaType
    }

    static func propertyName(_ name: String) -> String {
        let lowered = name.prefix(1).lowercased() + name.dropFirst()
        return keywords.contains(lowered) ? "`\(lowered)`" : lowered
    }

    func isOptional(_ f: Field) -> Bool { f.type == "records" || !f.nullableVersions.isEmpty }

    func swiftType(_ f: Field) -> String {
        let base = f.isArray ? "[\(typeName(f.elementType))]" : typeName(f.type)
        return isOptional(f) ? base + "?" : base
    }

    func defaultExpression(_ f: Field) throws -> String {
        let explicitNull: Bool
        let value: String?
        switch f.defaultValue {
        case .absent: explicitNull = false; value = nil
        case .value(let s): explicitNull = s == "null"; value = s
        }
        if f.isArray { return explicitNull ? "nil" : "[]" }
        if isStruct(f.type) { return explicitNull ? "nil" : "\(typeName(f.type))()" }
        switch f.type {
        case "records": return "nil"
        case "bytes": return explicitNull ? "nil" : "ByteBuffer()"
        case "string":
            if explicitNull { return "nil" }
            return swiftStringLiteral(value ?? "")
        case "bool":
            guard let v = value else { return "false" }
            switch v.lowercased() {
            case "true", "1": return "true"
            case "false", "0": return "false"
            default: throw CodegenError("\(schema.name).\(f.name): bad bool default \(v)")
            }
        case "uuid":
            guard let v = value, !v.isEmpty else { return ".zero" }
            guard let (hi, lo) = decodeUUID(v) else { throw CodegenError("\(schema.name).\(f.name): bad uuid default") }
            return "KafkaUUID(mostSignificantBits: 0x\(String(hi, radix: 16)), leastSignificantBits: 0x\(String(lo, radix: 16)))"
        case "float64":
            guard let v = value else { return "0" }
            guard Double(v) != nil else { throw CodegenError("\(schema.name).\(f.name): bad float default") }
            return v
        default:
            guard let v = value else { return "0" }
            let n: Int64?
            if v.hasPrefix("0x") || v.hasPrefix("0X") { n = Int64(v.dropFirst(2), radix: 16) }
            else if v.hasPrefix("-0x") { n = Int64(v.dropFirst(3), radix: 16).map { -$0 } }
            else { n = Int64(v) }
            guard let n else { throw CodegenError("\(schema.name).\(f.name): bad integer default \(v)") }
            return n < 0 ? "(\(n))" : "\(n)"
        }
    }

    func swiftStringLiteral(_ s: String) -> String {
        var r = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": r += "\\\""
            case "\\": r += "\\\\"
            case "\n": r += "\\n"
            default: r.unicodeScalars.append(ch)
            }
        }
        return r + "\""
    }

    func decodeUUID(_ text: String) -> (UInt64, UInt64)? {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var bytes: [UInt8] = []
        var acc: UInt32 = 0, bits = 0
        for c in text {
            guard let i = alphabet.firstIndex(of: c) else { return nil }
            acc = (acc << 6) | UInt32(i)
            bits += 6
            if bits >= 8 { bits -= 8; bytes.append(UInt8((acc >> UInt32(bits)) & 0xFF)) }
        }
        guard bytes.count == 16 else { return nil }
        let hi = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let lo = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return (hi, lo)
    }

    // MARK: output helpers

    private mutating func line(_ s: String = "") {
        if s.isEmpty { out += "\n"; return }
        out += String(repeating: "    ", count: indent) + s + "\n"
    }

    private mutating func block(_ head: String, _ body: (inout Emitter) throws -> Void) rethrows {
        line(head + " {")
        indent += 1
        try body(&self)
        indent -= 1
        line("}")
    }

    /// The condition for "the schema is flexible in this version".
    var flexibleCondition: String {
        schema.flexibleVersions.condition(within: schema.validVersions)
    }

    // MARK: the file

    mutating func emitFile(sourceNames: [String]) throws -> String {
        out = ""
        line("// Generated by tributary-codegen from \(sourceNames.joined(separator: " and ")). Do not edit.")
        line("// Derived from Apache Kafka's message schemas (Apache License 2.0).")
        line()
        line("import NIOCore")
        line()
        let conformance: String
        switch schema.kind {
        case "request": conformance = "KafkaRequest"
        case "response": conformance = "KafkaResponse"
        default: conformance = "KafkaSchema"
        }
        let validLit = "\(schema.validVersions.lowest!)...\(schema.validVersions.highest!)"
        line("/// `\(schema.name)`\(schema.apiKey.map { " (key \($0))" } ?? ""): versions \(validLit)" +
             (schema.flexibleVersions.isEmpty ? "." : ", flexible from \(schema.flexibleVersions.lowest!)."))
        try block("public struct \(schema.name): \(conformance)") { e in
            e.line("public static let schemaName = \"\(e.schema.name)\"")
            if let key = e.schema.apiKey { e.line("public static let apiKey: Int16 = \(key)") }
            e.line("public static let validVersions: ClosedRange<Int16> = \(validLit)")
            e.line("public static let firstFlexibleVersion: Int16? = \(e.schema.flexibleVersions.lowest.map(String.init) ?? "nil")")
            if e.schema.kind == "request" {
                e.line("public typealias Response = \(e.schema.name.replacingOccurrences(of: "Request", with: "Response"))")
            }
            e.line()
            try e.emitBody(name: e.schema.name, fields: e.schema.fields, context: e.schema.validVersions, topLevel: true)
            for n in e.structOrder {
                guard let ctx = e.structContext[n], !ctx.isEmpty else { continue }
                e.line()
                e.line("/// `\(n)`, used in versions \(ctx).")
                try e.block("public struct \(e.typeName(n)): KafkaStruct") { e2 in
                    try e2.emitBody(name: n, fields: e2.structs[n]!.fields, context: ctx, topLevel: false)
                }
            }
        }
        return out
    }

    private mutating func emitBody(name: String, fields: [Field], context: Versions, topLevel: Bool) throws {
        let live = fields.filter { !$0.versions.intersection(context).isEmpty }
        let maxV = schema.validVersions.highest!
        for f in live {
            line("public var \(Emitter.propertyName(f.name)): \(swiftType(f)) = \(try defaultExpression(f))")
        }
        line("public var unknownTaggedFields: [TaggedField] = []")
        line()
        line("public static let fieldInfo: [KafkaFieldInfo] = [")
        indent += 1
        for f in live {
            line("KafkaFieldInfo(\"\(f.name)\", \"\(f.type)\", \(f.versions.intersection(context).swiftLiteral(cappedAt: maxV))),")
        }
        indent -= 1
        line("]")
        line()
        line("public init() {}")
        line()
        try emitDecode(name: name, fields: live, context: context, topLevel: topLevel)
        line()
        try emitEncode(name: name, fields: live, context: context, topLevel: topLevel)
    }

    /// The versions in which the field is a regular (untagged) field.
    func regularVersions(_ f: Field, _ context: Versions) -> Versions {
        f.versions.subtracting(f.taggedVersions).intersection(context)
    }

    func compactExpression(_ f: Field, tagged: Bool, context: Versions) -> String {
        if tagged { return "true" }
        if let o = f.flexibleOverride, o.isEmpty { return "false" }
        if schema.flexibleVersions.intersection(context).isEmpty { return "false" }
        return "flexible"
    }

    private mutating func emitDecode(name: String, fields: [Field], context: Versions, topLevel: Bool) throws {
        try block("public init(from buffer: inout ByteBuffer, version: Int16) throws") { e in
            if topLevel {
                e.line("guard Self.validVersions.contains(version) else { throw ProtocolError.unsupportedVersion(message: Self.schemaName, version: version) }")
            }
            e.line("self.init()")
            let flexUsed = !e.schema.flexibleVersions.intersection(context).isEmpty
            if flexUsed { e.line("let flexible = \(e.flexibleCondition)") }
            for f in fields {
                let rv = e.regularVersions(f, context)
                if rv.isEmpty { continue }
                let cond = rv.condition(within: context)
                let stmt = "self.\(Emitter.propertyName(f.name)) = \(try e.readExpression(f, buffer: "buffer", compact: e.compactExpression(f, tagged: false, context: context), context: context, tagged: false))"
                if cond == "true" { e.line(stmt) } else { e.block("if \(cond)") { $0.line(stmt) } }
            }
            if flexUsed {
                let taggedFields = fields.filter { !$0.taggedVersions.intersection(context).isEmpty }
                try e.block("if flexible") { e2 in
                    e2.line("let count = try buffer.kafkaReadUnsignedVarint(\"tagged field count\")")
                    defer { e2.line("self.unknownTaggedFields.sortByTag()") }
                    try e2.block("for _ in 0..<count") { e3 in
                        if taggedFields.isEmpty {
                            e3.line("let (tag, data) = try buffer.kafkaReadTaggedField()")
                            e3.line("self.unknownTaggedFields.append(TaggedField(tag: tag, data: data))")
                            return
                        }
                        e3.line("let (tag, tagData) = try buffer.kafkaReadTaggedField()")
                        e3.line("var data = tagData")
                        try e3.block("switch tag") { e4 in
                            for f in taggedFields {
                                let tcond = f.taggedVersions.intersection(context).condition(within: context)
                                let whereClause = tcond == "true" ? "" : " where \(tcond)"
                                e4.line("case \(f.tag!)\(whereClause):")
                                e4.indent += 1
                                e4.line("self.\(Emitter.propertyName(f.name)) = \(try e4.readExpression(f, buffer: "data", compact: "true", context: context, tagged: true))")
                                e4.indent -= 1
                            }
                            e4.line("default:")
                            e4.indent += 1
                            e4.line("self.unknownTaggedFields.append(TaggedField(tag: tag, data: data))")
                            e4.indent -= 1
                        }
                    }
                }
            }
        }
    }

    func usesCompact(_ f: Field) -> Bool {
        switch f.elementType {
        case "string", "bytes", "records": return true
        default: return f.isArray || isStruct(f.type)
        }
    }

    /// An expression reading field `f` from `buffer`.
    func readExpression(_ f: Field, buffer: String, compact: String, context: Versions, tagged: Bool) throws -> String {
        let present = f.versions.intersection(context)
        let nullable = f.nullableVersions.intersection(context)
        let nullableCond: String = nullable.isEmpty ? "false" : nullable.condition(within: present)
        let label = "\"\(f.name)\""
        if f.isArray {
            let elem = elementRead(f.elementType, label: label, compact: compact)
            if nullableCond == "false" {
                return "try \(buffer).kafkaReadArray(compact: \(compact), \(label)) { \(elem) }"
            }
            if nullableCond == "true" {
                return "try \(buffer).kafkaReadNullableArray(compact: \(compact), \(label)) { \(elem) }"
            }
            return "try (\(nullableCond) ? \(buffer).kafkaReadNullableArray(compact: \(compact), \(label)) { \(elem) } : \(buffer).kafkaReadArray(compact: \(compact), \(label)) { \(elem) })"
        }
        switch f.type {
        case "string", "bytes", "records":
            let kind = f.type == "string" ? "String" : "Bytes"
            if f.type == "records" || nullableCond == "true" { return "try \(buffer).kafkaReadNullable\(kind)(compact: \(compact), \(label))" }
            if nullableCond == "false" { return "try \(buffer).kafkaRead\(kind)(compact: \(compact), \(label))" }
            return "try (\(nullableCond) ? \(buffer).kafkaReadNullable\(kind)(compact: \(compact), \(label)) : \(buffer).kafkaRead\(kind)(compact: \(compact), \(label)))"
        default:
            if isStruct(f.type) {
                let construct = "\(typeName(f.type))(from: &\(buffer), version: version)"
                if nullableCond == "false" { return "try \(construct)" }
                let presence = tagged ? "(\(buffer).kafkaReadUnsignedVarint(\(label)) != 0)" : "\(buffer).kafkaReadStructPresence(\(label))"
                if nullableCond == "true" { return "try (\(presence) ? \(construct) : nil)" }
                return "try (!(\(nullableCond)) || \(presence) ? \(construct) : nil)"
            }
            return scalarRead(f.type, buffer: buffer, label: label)
        }
    }

    func scalarRead(_ t: String, buffer: String, label: String) -> String {
        switch t {
        case "bool": return "try \(buffer).kafkaReadBool(\(label))"
        case "float64": return "try \(buffer).kafkaReadFloat64(\(label))"
        case "uuid": return "try \(buffer).kafkaReadUUID(\(label))"
        default: return "try \(buffer).kafkaReadInteger(\(label)) as \(Emitter.primitive(t)!)"
        }
    }

    func elementRead(_ t: String, label: String, compact: String) -> String {
        switch t {
        case "string": return "try $0.kafkaReadString(compact: \(compact), \(label))"
        case "bytes": return "try $0.kafkaReadBytes(compact: \(compact), \(label))"
        default:
            if isStruct(t) { return "try \(typeName(t))(from: &$0, version: version)" }
            return scalarRead(t, buffer: "$0", label: label)
        }
    }

    /// Whether `fields` hold a `records` field, directly or in a nested struct: such structs also get an encode that
    /// lays file regions out in place (`RecordsRegions`), threaded down to the records fields.
    func holdsRecords(_ fields: [Field]) -> Bool {
        fields.contains { f in
            f.elementType == "records" || (isStruct(f.elementType) && structs[f.elementType].map { holdsRecords($0.fields) } == true)
        }
    }

    private mutating func emitEncode(name: String, fields: [Field], context: Versions, topLevel: Bool) throws {
        let regions = holdsRecords(fields)
        if regions {
            block("public func encode(into buffer: inout ByteBuffer, version: Int16) throws") { e in
                e.line("var regions = RecordsRegions.inline")
                e.line("try encode(into: &buffer, version: version, regions: &regions)")
            }
            line()
        }
        let signature = regions
            ? "public func encode(into buffer: inout ByteBuffer, version: Int16, regions: inout RecordsRegions) throws"
            : "public func encode(into buffer: inout ByteBuffer, version: Int16) throws"
        try block(signature) { e in
            if topLevel {
                e.line("guard Self.validVersions.contains(version) else { throw ProtocolError.unsupportedVersion(message: Self.schemaName, version: version) }")
            }
            let flexUsed = !e.schema.flexibleVersions.intersection(context).isEmpty
            if flexUsed { e.line("let flexible = \(e.flexibleCondition)") }
            for f in fields {
                let prop = "self.\(Emitter.propertyName(f.name))"
                let present = f.versions.intersection(context)
                let rv = e.regularVersions(f, context)
                // Kafka refuses to drop a non-default value of a field the version lacks unless it is ignorable.
                if !present.isSuperset(of: context) && !f.ignorable {
                    let absent = present.condition(within: context)
                    let def = try e.defaultExpression(f)
                    e.block("if !(\(absent)) && \(prop) != \(def)") {
                        $0.line("throw ProtocolError.unsupportedFieldForVersion(message: \"\(name)\", field: \"\(f.name)\", version: version)")
                    }
                }
                if rv.isEmpty { continue }
                let cond = rv.condition(within: context)
                let stmts = try e.writeStatements(f, value: prop, buffer: "buffer", compact: e.compactExpression(f, tagged: false, context: context), context: context, tagged: false, regions: regions)
                if cond == "true" { for s in stmts { e.line(s) } } else { e.block("if \(cond)") { e2 in for s in stmts { e2.line(s) } } }
            }
            if flexUsed {
                let taggedFields = fields.filter { !$0.taggedVersions.intersection(context).isEmpty }
                try e.block("if flexible") { e2 in
                    if taggedFields.isEmpty {
                        e2.line("buffer.kafkaWriteTaggedFields([], unknown: self.unknownTaggedFields)")
                        return
                    }
                    e2.line("var known: [TaggedField] = []")
                    for f in taggedFields {
                        let prop = "self.\(Emitter.propertyName(f.name))"
                        let tcond = f.taggedVersions.intersection(context).condition(within: context)
                        let def = try e2.defaultExpression(f)
                        let cond = (tcond == "true" ? "" : "(\(tcond)) && ") + "\(prop) != \(def)"
                        try e2.block("if \(cond)") { e3 in
                            let stmts = try e3.writeStatements(f, value: prop, buffer: "b", compact: "true", context: context, tagged: true)
                            let throwing = stmts.contains { $0.contains("try ") }
                            e3.line("known.append(\(throwing ? "try " : "")kafkaTagged(\(f.tag!)) { b in")
                            e3.indent += 1
                            for s in stmts { e3.line(s) }
                            e3.indent -= 1
                            e3.line("})")
                        }
                    }
                    e2.line("buffer.kafkaWriteTaggedFields(known, unknown: self.unknownTaggedFields)")
                }
            }
        }
    }

    /// The statements writing field `f`; with `regions`, records fields and the structs holding them take the
    /// enclosing encode's `regions` (never inside a tagged field, whose size is computed before it is written).
    func writeStatements(_ f: Field, value: String, buffer: String, compact: String, context: Versions, tagged: Bool,
                         regions: Bool = false) throws -> [String] {
        let threaded = regions && !tagged
        let regionsArg = threaded && (f.elementType == "records" || (isStruct(f.elementType) && holdsRecords(structs[f.elementType]?.fields ?? [])))
            ? ", regions: &regions" : ""
        let present = f.versions.intersection(context)
        let nullable = f.nullableVersions.intersection(context)
        var pre: [String] = []
        // A value that is null in a version where the field is not nullable cannot be written.
        if isOptional(f) && f.type != "records" && !nullable.isSuperset(of: present) {
            let notNullable = nullable.isEmpty ? "true" : "!(\(nullable.condition(within: present)))"
            pre.append("if \(notNullable) && \(value) == nil { throw ProtocolError.invalid(\"\(f.name) is null in a version where it is not nullable\") }")
        }
        if f.isArray {
            let elemWrite: String
            var throwing = false
            switch f.elementType {
            case "string": elemWrite = "try b.kafkaWriteString(e, compact: \(compact))"; throwing = true
            case "bytes": elemWrite = "b.kafkaWriteBytes(e, compact: \(compact))"
            case "bool": elemWrite = "b.kafkaWriteBool(e)"
            case "float64": elemWrite = "b.kafkaWriteFloat64(e)"
            case "uuid": elemWrite = "b.kafkaWriteUUID(e)"
            default:
                if isStruct(f.elementType) { elemWrite = "try e.encode(into: &b, version: version\(regionsArg))"; throwing = true }
                else { elemWrite = "b.writeInteger(e, endianness: .big)" }
            }
            return pre + ["\(throwing ? "try " : "")\(buffer).kafkaWriteArray(\(value), compact: \(compact)) { b, e in \(elemWrite) }"]
        }
        switch f.type {
        case "string": return pre + ["try \(buffer).kafkaWriteString(\(value), compact: \(compact))"]
        case "records" where !regionsArg.isEmpty:
            return pre + ["\(buffer).kafkaWriteRecords(\(value), compact: \(compact)\(regionsArg))"]
        case "bytes", "records": return pre + ["\(buffer).kafkaWriteBytes(\(value), compact: \(compact))"]
        case "bool": return ["\(buffer).kafkaWriteBool(\(value))"]
        case "float64": return ["\(buffer).kafkaWriteFloat64(\(value))"]
        case "uuid": return ["\(buffer).kafkaWriteUUID(\(value))"]
        default:
            if isStruct(f.type) {
                if !isOptional(f) { return ["try \(value).encode(into: &\(buffer), version: version\(regionsArg))"] }
                let marker = tagged ? ("\(buffer).kafkaWriteUnsignedVarint(1)", "\(buffer).kafkaWriteUnsignedVarint(0)")
                                    : ("\(buffer).writeInteger(Int8(1))", "\(buffer).writeInteger(Int8(-1))")
                let nullableAll = nullable.isSuperset(of: present)
                if nullableAll {
                    return pre + ["if let v = \(value) { \(marker.0); try v.encode(into: &\(buffer), version: version\(regionsArg)) } else { \(marker.1) }"]
                }
                // Nullable in some versions only: the presence marker is written just where it is nullable.
                let nc = nullable.condition(within: present)
                return pre + ["if \(nc) { if let v = \(value) { \(marker.0); try v.encode(into: &\(buffer), version: version\(regionsArg)) } else { \(marker.1) } } else { try \(value)!.encode(into: &\(buffer), version: version\(regionsArg)) }"]
            }
            return ["\(buffer).writeInteger(\(value), endianness: .big)"]
        }
    }
}
