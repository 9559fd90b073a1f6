/// Merges a Kafka 4.3.1 schema with its Kafka 3.9.2 twin so one Swift type reads and writes every version either
/// release defined: a version comes from the 4.3.1 file when that file defines it, else from the 3.9.2 file.
enum SchemaMerger {
    static func merge(modern: Schema, legacy: Schema) throws -> Schema {
        let legacyOnly = legacy.validVersions.subtracting(modern.validVersions)
        // A key 4.x removed entirely (4-7) takes everything from the legacy file.
        if modern.validVersions.isEmpty {
            var out = legacy
            out.modernVersions = .none
            out.sources = modern.sources + legacy.sources
            return out
        }
        for r in legacyOnly.ranges {
            for v in r where modern.flexibleVersions.contains(v) != legacy.flexibleVersions.contains(v) {
                throw CodegenError("\(modern.name): flexibility of legacy version \(v) differs between releases")
            }
        }
        var out = modern
        out.validVersions = modern.validVersions.union(legacyOnly)
        if !legacyOnly.isEmpty, modern.flexibleVersions.isEmpty {
            out.flexibleVersions = legacy.flexibleVersions
        }
        out.fields = try mergeFields(modern.fields, legacy.fields, legacyOnly: legacyOnly, context: modern.name)
        var structs = modern.commonStructs
        for ls in legacy.commonStructs {
            if let i = structs.firstIndex(where: { $0.name == ls.name }) {
                structs[i].fields = try mergeFields(structs[i].fields, ls.fields, legacyOnly: legacyOnly, context: ls.name)
            } else {
                var copy = ls
                copy.fields = try mergeFields([], ls.fields, legacyOnly: legacyOnly, context: ls.name)
                structs.append(copy)
            }
        }
        out.commonStructs = structs
        out.sources = modern.sources + legacy.sources
        return out
    }

    static func mergeFields(_ modern: [Field], _ legacy: [Field], legacyOnly: Versions, context: String) throws -> [Field] {
        var merged = modern
        var previousName: String? = nil
        for lf in legacy {
            let clipped = clip(lf, to: legacyOnly)
            if let i = merged.firstIndex(where: { $0.name == lf.name }) {
                var m = merged[i]
                if m.type != lf.type && !clipped.versions.isEmpty {
                    throw CodegenError("\(context).\(lf.name): type \(m.type) vs legacy \(lf.type)")
                }
                m.versions = m.versions.union(clipped.versions)
                m.nullableVersions = m.nullableVersions.union(clipped.nullableVersions)
                m.taggedVersions = m.taggedVersions.union(clipped.taggedVersions)
                if m.tag == nil { m.tag = lf.tag }
                if let mf = m.fields, let lff = lf.fields {
                    m.fields = try mergeFields(mf, lff, legacyOnly: legacyOnly, context: "\(context).\(lf.name)")
                } else if m.fields == nil, let lff = lf.fields {
                    m.fields = try mergeFields([], lff, legacyOnly: legacyOnly, context: "\(context).\(lf.name)")
                }
                merged[i] = m
            } else if !clipped.versions.isEmpty {
                var add = clipped
                if let lff = lf.fields { add.fields = try mergeFields([], lff, legacyOnly: legacyOnly, context: lf.name) }
                let at = previousName.flatMap { p in merged.firstIndex(where: { $0.name == p }) }.map { $0 + 1 } ?? 0
                merged.insert(add, at: at)
            }
            previousName = lf.name
        }
        return merged
    }

    /// Restricts a legacy field (and its nested fields) to the versions only the legacy release defines.
    static func clip(_ f: Field, to versions: Versions) -> Field {
        var c = f
        c.versions = f.versions.intersection(versions)
        c.nullableVersions = f.nullableVersions.intersection(versions)
        c.taggedVersions = f.taggedVersions.intersection(versions)
        c.fields = f.fields?.map { clip($0, to: versions) }
        return c
    }
}
