/// A set of versions as sorted, disjoint closed ranges. `Int.max` stands for "and every later version".
struct Versions: Equatable, CustomStringConvertible {
    var ranges: [ClosedRange<Int>]

    static let none = Versions(ranges: [])

    init(ranges: [ClosedRange<Int>]) { self.ranges = Versions.normalize(ranges) }

    /// Parses a schema version string: "none", "N", "A-B" or "N+".
    init(parsing text: String) throws {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t == "none" || t.isEmpty { self.init(ranges: []); return }
        if t.hasSuffix("+"), let n = Int(t.dropLast()) { self.init(ranges: [n...Int.max]); return }
        if let dash = t.firstIndex(of: "-"), let a = Int(t[..<dash]), let b = Int(t[t.index(after: dash)...]) {
            self.init(ranges: [a...b]); return
        }
        if let n = Int(t) { self.init(ranges: [n...n]); return }
        throw CodegenError("bad version range '\(text)'")
    }

    var isEmpty: Bool { ranges.isEmpty }
    var lowest: Int? { ranges.first?.lowerBound }
    var highest: Int? { ranges.last?.upperBound }

    func contains(_ v: Int) -> Bool { ranges.contains { $0.contains(v) } }

    func union(_ o: Versions) -> Versions { Versions(ranges: ranges + o.ranges) }

    func intersection(_ o: Versions) -> Versions {
        var out: [ClosedRange<Int>] = []
        for a in ranges {
            for b in o.ranges {
                let lo = max(a.lowerBound, b.lowerBound), hi = min(a.upperBound, b.upperBound)
                if lo <= hi { out.append(lo...hi) }
            }
        }
        return Versions(ranges: out)
    }

    func subtracting(_ o: Versions) -> Versions {
        var out = ranges
        for b in o.ranges {
            var next: [ClosedRange<Int>] = []
            for a in out {
                if b.upperBound < a.lowerBound || b.lowerBound > a.upperBound { next.append(a); continue }
                if a.lowerBound < b.lowerBound { next.append(a.lowerBound...(b.lowerBound - 1)) }
                if a.upperBound > b.upperBound { next.append((b.upperBound + 1)...a.upperBound) }
            }
            out = next
        }
        return Versions(ranges: out)
    }

    func isSuperset(of o: Versions) -> Bool { o.subtracting(self).isEmpty }

    var description: String {
        ranges.map { r in
            r.upperBound == Int.max ? "\(r.lowerBound)+" : (r.lowerBound == r.upperBound ? "\(r.lowerBound)" : "\(r.lowerBound)-\(r.upperBound)")
        }.joined(separator: ",")
    }

    private static func normalize(_ rs: [ClosedRange<Int>]) -> [ClosedRange<Int>] {
        let sorted = rs.sorted { $0.lowerBound < $1.lowerBound }
        var out: [ClosedRange<Int>] = []
        for r in sorted {
            if let last = out.last, last.upperBound == Int.max || r.lowerBound <= last.upperBound + 1 {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        return out
    }

    /// A Swift boolean expression over `version` that is true exactly for the versions of `self` within
    /// `context` (the versions in which the code can run at all).
    func condition(within context: Versions) -> String {
        let inside = intersection(context)
        if inside.isEmpty { return "false" }
        if inside.isSuperset(of: context) { return "true" }
        let cmin = context.lowest!, cmax = context.highest!
        return inside.ranges.map { r -> String in
            let lo = r.lowerBound <= cmin, hi = r.upperBound >= cmax
            if lo && hi { return "true" }
            if lo { return "version <= \(r.upperBound)" }
            if hi { return "version >= \(r.lowerBound)" }
            if r.lowerBound == r.upperBound { return "version == \(r.lowerBound)" }
            return "(version >= \(r.lowerBound) && version <= \(r.upperBound))"
        }.joined(separator: " || ")
    }

    /// The Swift literal of a `VersionSet` for these versions, capped at `maxVersion`.
    func swiftLiteral(cappedAt maxVersion: Int) -> String {
        let rs = ranges.compactMap { r -> String? in
            let hi = min(r.upperBound, maxVersion)
            return r.lowerBound <= hi ? "\(r.lowerBound)...\(hi)" : nil
        }
        return "VersionSet([\(rs.joined(separator: ", "))])"
    }
}

struct CodegenError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
