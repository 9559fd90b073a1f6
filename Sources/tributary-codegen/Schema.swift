import Foundation

/// The default of a field as the schema writes it: absent, JSON null (upstream: "no default"), or a value.
enum SchemaDefault: Equatable {
    case absent
    case value(String)
}

/// One field of a schema, after its version ranges were clipped to where it can appear.
struct Field {
    var name: String
    var type: String
    var versions: Versions
    var nullableVersions: Versions
    var taggedVersions: Versions
    var tag: Int?
    var ignorable: Bool
    var defaultValue: SchemaDefault
    /// Inline struct fields, when `type` names a struct defined here.
    var fields: [Field]?
    /// A per-field override of the message's flexible range (only `RequestHeader.ClientId`, "none").
    var flexibleOverride: Versions?

    var isArray: Bool { type.hasPrefix("[]") }
    var elementType: String { isArray ? String(type.dropFirst(2)) : type }
}

struct StructDef {
    var name: String
    var fields: [Field]
}

/// One schema file (or a 4.3.1 file merged with its 3.9.2 twin).
struct Schema {
    var name: String
    var kind: String
    var apiKey: Int?
    var validVersions: Versions
    var flexibleVersions: Versions
    var fields: [Field]
    var commonStructs: [StructDef]
    var listeners: [String]
    var latestVersionUnstable: Bool
    /// The 4.3.1 (or only) range, before legacy versions were added.
    var modernVersions: Versions
    var sources: [String]
}

enum SchemaLoader {
    /// Removes `//` and `/* */` comments outside string literals.
    static func stripComments(_ s: String) -> String {
        var out = [UInt8]()
        let b = Array(s.utf8)
        var i = 0
        var inString = false
        while i < b.count {
            let c = b[i]
            if inString {
                out.append(c)
                if c == UInt8(ascii: "\\"), i + 1 < b.count { out.append(b[i + 1]); i += 2; continue }
                if c == UInt8(ascii: "\"") { inString = false }
                i += 1
                continue
            }
            if c == UInt8(ascii: "\"") { inString = true; out.append(c); i += 1; continue }
            if c == UInt8(ascii: "/"), i + 1 < b.count, b[i + 1] == UInt8(ascii: "/") {
                while i < b.count, b[i] != UInt8(ascii: "\n") { i += 1 }
                continue
            }
            if c == UInt8(ascii: "/"), i + 1 < b.count, b[i + 1] == UInt8(ascii: "*") {
                i += 2
                while i + 1 < b.count, !(b[i] == UInt8(ascii: "*") && b[i + 1] == UInt8(ascii: "/")) { i += 1 }
                i += 2
                continue
            }
            out.append(c)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func load(path: String) throws -> Schema {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let json = try JSONSerialization.jsonObject(with: Data(stripComments(text).utf8))
        guard let obj = json as? [String: Any] else { throw CodegenError("\(path): not an object") }
        let name = obj["name"] as! String
        let valid = try Versions(parsing: obj["validVersions"] as? String ?? "none")
        let flex = try Versions(parsing: obj["flexibleVersions"] as? String ?? "none")
        let fields = try (obj["fields"] as? [[String: Any]] ?? []).map { try parseField($0, parent: valid, in: path) }
        let common = try (obj["commonStructs"] as? [[String: Any]] ?? []).map { cs -> StructDef in
            let csVersions = try Versions(parsing: cs["versions"] as? String ?? "0+").intersection(valid)
            return StructDef(
                name: cs["name"] as! String,
                fields: try (cs["fields"] as! [[String: Any]]).map { try parseField($0, parent: csVersions, in: path) })
        }
        var unstable = false
        if let u = obj["latestVersionUnstable"] as? Bool { unstable = u }
        return Schema(
            name: name, kind: obj["type"] as! String, apiKey: obj["apiKey"] as? Int, validVersions: valid,
            flexibleVersions: flex, fields: fields, commonStructs: common,
            listeners: obj["listeners"] as? [String] ?? [], latestVersionUnstable: unstable,
            modernVersions: valid, sources: [path])
    }

    static func parseField(_ f: [String: Any], parent: Versions, in path: String) throws -> Field {
        let name = f["name"] as! String
        let tagged = try f["taggedVersions"].map { try Versions(parsing: $0 as! String) } ?? .none
        let declared: Versions
        if let v = f["versions"] as? String { declared = try Versions(parsing: v) } else { declared = tagged }
        let versions = declared.intersection(parent)
        var def = SchemaDefault.absent
        if let d = f["default"] {
            if let s = d as? String { def = .value(s) }
            else if d is NSNull { def = .absent }
            else if let n = d as? NSNumber { def = .value(n.stringValue) }
            else { throw CodegenError("\(path): \(name): unsupported default") }
        }
        var ignorable = false
        if let i = f["ignorable"] as? Bool { ignorable = i }
        let sub = try (f["fields"] as? [[String: Any]])?.map { try parseField($0, parent: versions, in: path) }
        return Field(
            name: name, type: f["type"] as! String, versions: versions,
            nullableVersions: try f["nullableVersions"].map { try Versions(parsing: $0 as! String) }?.intersection(versions) ?? .none,
            taggedVersions: tagged.intersection(versions), tag: f["tag"] as? Int ?? (f["tag"] as? String).flatMap { Int($0) },
            ignorable: ignorable, defaultValue: def, fields: sub,
            flexibleOverride: try (f["flexibleVersions"] as? String).map { try Versions(parsing: $0) })
    }
}
