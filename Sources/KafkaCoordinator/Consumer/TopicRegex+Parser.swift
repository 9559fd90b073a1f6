// Parsing of RE2 syntax into a `RegexNode` tree, and the Unicode categories `\p{…}` names.

struct RegexFlags {
    var foldCase = false
    var multiLine = false
    var dotAll = false
    /// `(?U)` swaps greediness; parsed for compatibility, meaningless for a whole match.
    var ungreedy = false

    static let letters: [Unicode.Scalar: WritableKeyPath<RegexFlags, Bool> & Sendable] = [
        "i": \.foldCase, "m": \.multiLine, "s": \.dotAll, "U": \.ungreedy,
    ]
}

/// Parses RE2 syntax. Groups are handled with an explicit stack, not recursion, so a deeply nested pattern
/// cannot overflow the thread's stack here; the nesting limit exists for the compiler, which does recurse.
struct RegexParser {
    private let s: [Unicode.Scalar]
    private var i = 0
    private var flags = RegexFlags()
    private var groupNames: Set<String> = []
    /// Set once a search for `:]` has failed from here, so `[[:[[:[[:…` does not rescan to the end each time.
    private var noPosixCloseFrom = Int.max

    init(_ scalars: [Unicode.Scalar]) { s = scalars }

    /// One open group: the alternatives and items collected so far and the flags to restore when it closes.
    private struct Frame {
        var alternatives: [RegexNode] = []
        var items: [RegexNode] = []
        var outerFlags: RegexFlags
        var start: Int

        func finished() -> RegexNode { .choice(alternatives + [.sequence(items)]) }
    }

    /// The quantifier just parsed; RE2 forbids another one straight after it (`a**`, `a*+`).
    private struct Quantifier {
        var start: Int
        var lazy: Bool
    }

    mutating func parse() throws -> RegexNode {
        var open: [Frame] = []
        var frame = Frame(outerFlags: flags, start: 0)
        var previous: Quantifier?
        while i < s.count {
            let start = i
            var quantifier: Quantifier?
            switch s[i] {
            case "(":
                if let inner = try parseGroupOpening() {
                    guard open.count < TopicRegex.maxNestingDepth else { throw error(.nestingTooDeep, start, start + 1) }
                    open.append(frame)
                    frame = Frame(outerFlags: flags, start: start)
                    flags = inner
                }
            case ")":
                guard let outer = open.popLast() else { throw error(.unexpectedParen, i, i + 1) }
                i += 1
                let group = frame.finished()
                flags = frame.outerFlags
                frame = outer
                frame.items.append(group)
            case "|":
                i += 1
                frame.alternatives.append(.sequence(frame.items))
                frame.items = []
            case "*", "+", "?":
                let op = s[i]
                i += 1
                quantifier = try quantify(&frame.items, min: op == "+" ? 1 : 0, max: op == "?" ? 1 : nil, start, previous)
            case "{":
                if let count = try parseCount() {
                    quantifier = try quantify(&frame.items, min: count.min, max: count.max, start, previous)
                } else {
                    frame.items.append(literal("{"))
                }
            case "[": frame.items.append(try parseClass())
            case ".": frame.items.append(flags.dotAll ? .anyScalar : .anyExceptNewline)
            case "^": frame.items.append(.assertion(flags.multiLine ? .beginLine : .beginText))
            case "$": frame.items.append(.assertion(flags.multiLine ? .endLine : .endText))
            case "\\": try parseEscape(into: &frame.items)
            default: frame.items.append(literal(s[i]))
            }
            // Cases that did not consume their text were single-scalar atoms.
            if i == start { i += 1 }
            previous = quantifier
        }
        if !open.isEmpty { throw error(.missingParen, frame.start, frame.start + 1) }
        return frame.finished()
    }

    // MARK: quantifiers

    /// Applies a quantifier (already consumed from `start`) to the last item, after taking its optional lazy `?`.
    private mutating func quantify(
        _ items: inout [RegexNode], min: Int, max: Int?, _ start: Int, _ previous: Quantifier?
    ) throws -> Quantifier {
        let op = s[start]
        var lazy = false
        if i < s.count, s[i] == "?" {
            lazy = true
            i += 1
        }
        if let previous {
            // Java reads `a*+` as possessive; RE2 has no such thing and rejects any stacked quantifier.
            throw error(op == "+" && !previous.lazy ? .possessiveQuantifier : .nestedRepetition, previous.start, i)
        }
        guard let operand = items.popLast() else { throw error(.missingRepeatArgument, start, i) }
        items.append(.repeated(operand, min: min, max: max))
        return Quantifier(start: start, lazy: lazy)
    }

    /// Parses `{n}`, `{n,}` or `{n,m}` at `i`. Returns nil, consuming nothing, when the text is not of that form
    /// (RE2 then reads `{` as a literal); throws when it is, but a count is over the limit or min > max.
    private mutating func parseCount() throws -> (min: Int, max: Int?)? {
        var j = i + 1
        guard let min = number(&j), j < s.count else { return nil }
        var max: Int? = min
        if s[j] == "," {
            j += 1
            if j < s.count, s[j] == "}" {
                max = nil
            } else {
                guard let m = number(&j) else { return nil }
                max = m
            }
        }
        guard j < s.count, s[j] == "}" else { return nil }
        j += 1
        let limit = TopicRegex.maxRepeatCount
        if min > limit || (max ?? 0) > limit || min > (max ?? min) { throw error(.badRepeatCount, i, j) }
        i = j
        return (min, max)
    }

    /// A decimal number without leading zeros (as RE2 requires), saturating well above the repeat limit.
    private func number(_ j: inout Int) -> Int? {
        let start = j
        var value = 0
        while j < s.count, let d = Self.digitValue(s[j], radix: 10) {
            value = Swift.min(value * 10 + Int(d), 1_000_000_000)
            j += 1
        }
        if j == start || (j - start > 1 && s[start] == "0") { return nil }
        return value
    }

    // MARK: groups

    /// Consumes a group opening. Returns the flags for the group's body, or nil for a bare flag setting like
    /// `(?i)`, which applies to the rest of the enclosing group instead of opening one.
    private mutating func parseGroupOpening() throws -> RegexFlags? {
        let start = i
        i += 1
        guard peek(i) == "?" else { return flags }
        switch (peek(start + 2), peek(start + 3)) {
        case ("=", _), ("!", _): throw error(.lookaround, start, start + 3)
        case ("<", "="), ("<", "!"): throw error(.lookaround, start, start + 4)
        case ("<", _): return try parseNamedGroup(start, nameStart: start + 3)
        case ("P", "<"): return try parseNamedGroup(start, nameStart: start + 4)
        case ("P", "="): throw error(.backreference, start, start + 4)
        default: return try parseFlags(start)
        }
    }

    private mutating func parseNamedGroup(_ start: Int, nameStart: Int) throws -> RegexFlags {
        guard let close = s[nameStart...].firstIndex(of: ">") else { throw error(.badNamedGroup, start, s.count) }
        let isWord = s[nameStart..<close].allSatisfy { RegexAssertion.isWord($0) }
        guard close > nameStart, isWord else { throw error(.badNamedGroup, start, close + 1) }
        guard groupNames.insert(text(nameStart, close)).inserted else {
            throw error(.duplicateGroupName, nameStart, close)
        }
        i = close + 1
        return flags
    }

    /// `(?flags)` or `(?flags:` with flags from `imsU`, optionally negated after one `-` (which must be followed
    /// by at least one flag). Anything else after `(?`, such as `(?>` or `(?#`, is unsupported in RE2.
    private mutating func parseFlags(_ start: Int) throws -> RegexFlags? {
        var updated = flags
        var negating = false
        var sawFlag = false
        i = start + 2
        while i < s.count {
            let c = s[i]
            i += 1
            switch c {
            case "i", "m", "s", "U": updated[keyPath: RegexFlags.letters[c]!] = !negating
            case "-" where !negating:
                negating = true
                sawFlag = false
                continue
            case ":", ")":
                guard !negating || sawFlag else { throw error(.badGroupSyntax, start, i) }
                if c == ":" { return updated }
                flags = updated
                return nil
            default: throw error(.badGroupSyntax, start, i)
            }
            sawFlag = true
        }
        throw error(.badGroupSyntax, start, i)
    }

    // MARK: escapes

    private mutating func parseEscape(into items: inout [RegexNode]) throws {
        guard i + 1 < s.count else { throw error(.trailingBackslash, i, i + 1) }
        let assertions: [Unicode.Scalar: RegexAssertion] = [
            "A": .beginText, "z": .endText, "b": .wordBoundary, "B": .notWordBoundary,
        ]
        if let assertion = assertions[s[i + 1]] {
            items.append(.assertion(assertion))
            i += 2
            return
        }
        switch s[i + 1] {
        case "Q":
            // Everything up to `\E` (or the end) is literal.
            i += 2
            while i < s.count, !(s[i] == "\\" && peek(i + 1) == "E") {
                items.append(literal(s[i]))
                i += 1
            }
            if i < s.count { i += 2 }
        case "C":
            // RE2/J, which Kafka uses, refuses "any byte".
            throw error(.invalidEscape, i, i + 2)
        default:
            var set = RegexCharSet()
            if try parseClassEscape(into: &set) {
                set.finish(foldCase: flags.foldCase)
                items.append(.set(set))
            } else {
                let value = try parseEscapedCodePoint()
                if let c = Unicode.Scalar(value) {
                    items.append(literal(c))
                } else {
                    // A surrogate code point can never occur in a Swift string: a set that matches nothing.
                    set.finish(foldCase: false)
                    items.append(.set(set))
                }
            }
        }
    }

    /// A single-character escape at `i` (which is at `\`); returns its code point.
    private mutating func parseEscapedCodePoint() throws -> UInt32 {
        let start = i
        guard i + 1 < s.count else { throw error(.trailingBackslash, i, i + 1) }
        let c = s[i + 1]
        i += 2
        switch c {
        case "1"..."7" where Self.digitValue(peek(i), radix: 8) == nil, "8", "9":
            // A lone digit would be a backreference, which RE2 does not support; \12 is octal.
            throw error(.backreference, start, i)
        case "0"..."7":
            var value = c.value - 0x30
            for _ in 0..<2 {
                guard i < s.count, let d = Self.digitValue(s[i], radix: 8) else { break }
                value = value * 8 + d
                i += 1
            }
            return value
        case "x": return try parseHex(start)
        default:
            let controls: [Unicode.Scalar: UInt32] = ["a": 7, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11]
            if let control = controls[c] { return control }
            // Any ASCII punctuation (including `_`) may be escaped to stand for itself; letters may not.
            if c.value < 0x80, Self.digitValue(c, radix: 36) == nil { return c.value }
            throw error(.invalidEscape, start, i)
        }
    }

    /// `\xHH` or `\x{H…}` (at most U+10FFFF); `i` is just past the `x`.
    private mutating func parseHex(_ start: Int) throws -> UInt32 {
        if peek(i) == "{" {
            i += 1
            var value: UInt32 = 0
            var digits = 0
            while i < s.count, let d = Self.digitValue(s[i], radix: 16) {
                value = value * 16 + d
                digits += 1
                i += 1
                if value > 0x10_FFFF { throw error(.invalidEscape, start, i) }
            }
            guard digits > 0, peek(i) == "}" else { throw error(.invalidEscape, start, i + 1) }
            i += 1
            return value
        }
        guard let high = Self.digitValue(peek(i), radix: 16), let low = Self.digitValue(peek(i + 1), radix: 16) else {
            throw error(.invalidEscape, start, i + 2)
        }
        i += 2
        return high * 16 + low
    }

    // MARK: classes

    private mutating func parseClass() throws -> RegexNode {
        let start = i
        i += 1
        var set = RegexCharSet()
        if peek(i) == "^" {
            set.negated = true
            i += 1
        }
        var first = true
        while true {
            guard i < s.count else { throw error(.missingBracket, start, s.count) }
            // `]` first is a literal, so `[]a]` and `[^]a]` are valid; `[]` alone is unterminated.
            if s[i] == "]", !first {
                i += 1
                break
            }
            first = false
            if s[i] == "[", peek(i + 1) == ":", try parsePosixClass(into: &set) { continue }
            if try parseClassEscape(into: &set) { continue }
            let itemStart = i
            let low = try parseClassCharacter(classStart: start)
            var high = low
            // `-` is literal first, last, or after a range: only `x-y` with a non-`]` y makes a range.
            if peek(i) == "-", i + 1 < s.count, s[i + 1] != "]" {
                i += 1
                high = try parseClassCharacter(classStart: start)
                guard low <= high else { throw error(.badCharacterRange, itemStart, i) }
            }
            set.ranges.append(low...high)
        }
        set.finish(foldCase: flags.foldCase)
        return .set(set)
    }

    private mutating func parseClassCharacter(classStart: Int) throws -> UInt32 {
        guard i < s.count else { throw error(.missingBracket, classStart, s.count) }
        if s[i] == "\\" { return try parseEscapedCodePoint() }
        i += 1
        return s[i - 1].value
    }

    /// `[:name:]` or `[:^name:]` at `i`. Returns false when no `:]` follows, and `[` is then an ordinary member.
    private mutating func parsePosixClass(into set: inout RegexCharSet) throws -> Bool {
        guard i < noPosixCloseFrom else { return false }
        var end = i + 1
        while end + 1 < s.count, !(s[end] == ":" && s[end + 1] == "]") { end += 1 }
        guard end + 1 < s.count else {
            noPosixCloseFrom = i
            return false
        }
        var name = end >= i + 2 ? text(i + 2, end) : ""
        let negated = name.hasPrefix("^")
        if negated { name.removeFirst() }
        guard let base = RegexCharTables.posix[name] else { throw error(.badCharacterRange, i, end + 2) }
        set.ranges += negated ? RegexCharTables.complement(base) : base
        i = end + 2
        return true
    }

    /// `\d \D \s \S \w \W` and `\pX \p{Name} \PX \p{^Name}` at `i`, in or out of brackets. Returns false,
    /// consuming nothing, for any other text.
    private mutating func parseClassEscape(into set: inout RegexCharSet) throws -> Bool {
        guard s[i] == "\\", i + 1 < s.count else { return false }
        let letter = s[i + 1]
        let perl: [Unicode.Scalar: [ClosedRange<UInt32>]] = [
            "d": RegexCharTables.digit, "s": RegexCharTables.space, "w": RegexCharTables.word,
        ]
        if let base = perl[letter] {
            set.ranges += base
        } else if let lower = Unicode.Scalar(letter.value | 0x20), letter != lower, let base = perl[lower] {
            set.ranges += RegexCharTables.complement(base)
        } else if letter == "p" || letter == "P" {
            try parseUnicodeCategory(into: &set)
            return true
        } else {
            return false
        }
        i += 2
        return true
    }

    private mutating func parseUnicodeCategory(into set: inout RegexCharSet) throws {
        let start = i
        var negated = s[i + 1] == "P"
        i += 2
        guard i < s.count else { throw error(.badCharacterRange, start, i) }
        var name: String
        if s[i] == "{" {
            guard let close = s[i...].firstIndex(of: "}") else { throw error(.badCharacterRange, start, s.count) }
            name = text(i + 1, close)
            i = close + 1
        } else {
            name = String(Character(s[i]))
            i += 1
        }
        if name.hasPrefix("^") {
            negated.toggle()
            name.removeFirst()
        }
        // Only general categories and `Any`; script names (`\p{Greek}`) would need tables the stdlib lacks.
        guard let mask = RegexUnicodeCategories.mask(named: name) else { throw error(.badCharacterRange, start, i) }
        set.categories.append((mask, negated))
    }

    // MARK: helpers

    private func literal(_ c: Unicode.Scalar) -> RegexNode { .scalar(c, fold: flags.foldCase) }

    /// The scalar at `k`, or NUL past the end (NUL never introduces syntax, so it reads as "nothing special").
    private func peek(_ k: Int) -> Unicode.Scalar { k < s.count ? s[k] : "\u{0}" }

    private func text(_ from: Int, _ to: Int) -> String {
        var view = String.UnicodeScalarView()
        if from < to { view.append(contentsOf: s[from..<to]) }
        return String(view)
    }

    private func error(_ kind: TopicRegexError.Kind, _ from: Int, _ to: Int) -> TopicRegexError {
        TopicRegexError(kind: kind, position: from, fragment: text(from, Swift.min(to, s.count)))
    }

    private static func digitValue(_ c: Unicode.Scalar, radix: UInt32) -> UInt32? {
        let v = c.value
        let d: UInt32
        switch v {
        case 0x30...0x39: d = v - 0x30
        case 0x41...0x5A: d = v - 0x41 + 10
        case 0x61...0x7A: d = v - 0x61 + 10
        default: return nil
        }
        return d < radix ? d : nil
    }
}

/// Unicode general categories for `\p{…}`, as a bit mask indexed by this table's order.
enum RegexUnicodeCategories {
    static let codes: [(code: String, category: Unicode.GeneralCategory)] = [
        ("Lu", .uppercaseLetter), ("Ll", .lowercaseLetter), ("Lt", .titlecaseLetter), ("Lm", .modifierLetter),
        ("Lo", .otherLetter), ("Mn", .nonspacingMark), ("Mc", .spacingMark), ("Me", .enclosingMark),
        ("Nd", .decimalNumber), ("Nl", .letterNumber), ("No", .otherNumber), ("Pc", .connectorPunctuation),
        ("Pd", .dashPunctuation), ("Ps", .openPunctuation), ("Pe", .closePunctuation),
        ("Pi", .initialPunctuation), ("Pf", .finalPunctuation), ("Po", .otherPunctuation), ("Sm", .mathSymbol),
        ("Sc", .currencySymbol), ("Sk", .modifierSymbol), ("So", .otherSymbol), ("Zs", .spaceSeparator),
        ("Zl", .lineSeparator), ("Zp", .paragraphSeparator), ("Cc", .control), ("Cf", .format),
        ("Cs", .surrogate), ("Co", .privateUse), ("Cn", .unassigned),
    ]

    /// A one-letter name covers its two-letter categories (RE2's `C` leaves out unassigned `Cn`).
    static func mask(named name: String) -> UInt32? {
        if name == "Any" { return (1 << UInt32(codes.count)) - 1 }
        var mask: UInt32 = 0
        for (k, entry) in codes.enumerated()
        where entry.code == name || (name.count == 1 && entry.code.hasPrefix(name) && entry.code != "Cn") {
            mask |= 1 << UInt32(k)
        }
        return mask == 0 ? nil : mask
    }

    static func bit(of c: Unicode.Scalar) -> UInt32 {
        let category = c.properties.generalCategory
        for (k, entry) in codes.enumerated() where entry.category == category { return 1 << UInt32(k) }
        return 0
    }
}
