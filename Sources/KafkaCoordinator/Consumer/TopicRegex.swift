/// A compiled RE2-syntax regular expression, matched in time linear in pattern size × input length.
///
/// KIP-848 clients may subscribe with a regular expression (`SubscribedTopicRegex`) that the coordinator matches
/// against every topic name. Kafka compiles it with RE2/J precisely so that a client cannot make the broker
/// backtrack exponentially; this type gives the same guarantee. The pattern is parsed into a syntax tree,
/// compiled to a Thompson NFA program and run as a Pike VM (a set of live program counters advanced over the
/// input once), so `(a+)+$` costs no more than any other program of its size.
///
/// Syntax follows RE2 as Kafka's RE2/J accepts it: literals, `.`, escapes (`\.` and any other ASCII punctuation,
/// `\t \n \r \f \v \a`, octal `\0`–`\777`, `\x41`, `\x{263A}`, `\Q…\E`), Perl classes `\d \D \s \S \w \W`,
/// Unicode general categories `\pL \p{Lu} \PN \p{^L}` (not scripts), bracket classes with ranges, negation and
/// `[[:alpha:]]`, anchors `^ $ \A \z \b \B`, groups `( )`, `(?: )`, `(?P<name> )`, `(?<name> )`, flags
/// `(?imsU-imsU)` and `(?flags: )`, alternation, and the quantifiers `* + ? {n} {n,} {n,m}` (each optionally lazy).
/// Refused like RE2 refuses them: backreferences, lookaround, atomic groups, possessive and stacked quantifiers
/// (`a**`), `\C`, `\Z`, repeat counts above 1000. Also refused, to bound the work done for an untrusted pattern:
/// patterns over 10,000 characters, group nesting deeper than 1,000 and programs over 100,000 instructions.
///
/// Equality and hashing compare the pattern text, so the type can key a cache of resolved subscriptions.
public struct TopicRegex: Sendable, Hashable {
    /// The pattern this expression was compiled from.
    public let pattern: String
    let program: RegexProgram

    /// The longest pattern accepted, in Unicode scalars.
    public static let maxPatternLength = 10_000
    /// The most instructions a compiled pattern may have; matching costs up to this much per input character.
    public static let maxProgramSize = 100_000
    /// The deepest group nesting accepted (the parser is iterative, but compilation recurses on the tree).
    public static let maxNestingDepth = 1_000
    /// The largest count allowed in `{n}`, `{n,}` and `{n,m}`, as in RE2.
    public static let maxRepeatCount = 1_000

    /// Compiles `pattern`.
    ///
    /// - Throws: `TopicRegexError` naming the problem and its position when the pattern is not valid RE2 syntax,
    ///   uses a construct RE2 refuses (backreferences, lookaround, possessive quantifiers…), or exceeds a limit.
    public init(_ pattern: String) throws {
        let scalars = Array(pattern.unicodeScalars)
        guard scalars.count <= Self.maxPatternLength else {
            throw TopicRegexError(kind: .patternTooLong, position: Self.maxPatternLength, fragment: "")
        }
        var parser = RegexParser(scalars)
        let tree = try parser.parse()
        var compiler = RegexCompiler(limit: Self.maxProgramSize)
        try compiler.compile(tree)
        try compiler.emit(.match)
        self.program = compiler.program
        self.pattern = pattern
    }

    /// Whether the whole of `name` matches, like Java's `Matcher.matches()` which Kafka uses for topic names.
    ///
    /// Runs in O(program size × name length) with no recursion, whatever the pattern.
    public func wholeMatch(_ name: String) -> Bool {
        program.wholeMatch(name.unicodeScalars)
    }

    /// Two expressions are equal when their pattern texts are (the program is derived from the text).
    public static func == (lhs: TopicRegex, rhs: TopicRegex) -> Bool { lhs.pattern == rhs.pattern }
    /// Hashes the pattern text, consistently with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(pattern) }
}

/// Why a pattern was rejected by `TopicRegex.init`.
public struct TopicRegexError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The category of problem.
    public enum Kind: Sendable, Hashable {
        /// Unbalanced `(`, `)` or `[`.
        case missingParen, unexpectedParen, missingBracket
        /// A quantifier with nothing before it (`*a`), stacked on another (`a**`), or with a bad count (`a{2,1}`).
        case missingRepeatArgument, nestedRepetition, badRepeatCount
        /// An unknown escape (`\q`, `\Z`, `\C`), a `\` ending the pattern, or a bad class range or name.
        case invalidEscape, trailingBackslash, badCharacterRange
        /// A malformed or repeated `(?P<name>`, or a `(?` form RE2 does not know (`(?x)`, `(?>`, `(?#`).
        case badNamedGroup, duplicateGroupName, badGroupSyntax
        /// `(?=` `(?!` `(?<=` `(?<!`: RE2 has no lookaround.
        case lookaround
        /// `\1`…`\9`, `(?P=name)`: RE2 has no backreferences.
        case backreference
        /// `a*+`, `a++`, `a?+`: RE2 has no possessive quantifiers.
        case possessiveQuantifier
        /// Limits that bound the work an untrusted pattern can cause (see the `TopicRegex.max…` constants).
        case nestingTooDeep, patternTooLong, programTooLarge
    }

    /// The category of problem.
    public let kind: Kind
    /// Offset, in Unicode scalars from the start of the pattern, where the offending text begins.
    public let position: Int
    /// The offending text (may be empty, e.g. for size limits).
    public let fragment: String

    /// A human-readable explanation naming the problem and where it is.
    public var message: String {
        let what: String
        switch kind {
        case .missingParen: what = "missing closing )"
        case .unexpectedParen: what = "unexpected )"
        case .missingBracket: what = "missing closing ]"
        case .missingRepeatArgument: what = "missing argument to repetition operator"
        case .nestedRepetition: what = "invalid nested repetition operator"
        case .badRepeatCount: what = "invalid repeat count (counts are at most \(TopicRegex.maxRepeatCount), min ≤ max)"
        case .invalidEscape: what = "invalid escape sequence"
        case .trailingBackslash: what = "trailing backslash at end of expression"
        case .badCharacterRange: what = "invalid character class range"
        case .badNamedGroup: what = "invalid named capture group"
        case .duplicateGroupName: what = "duplicate capture group name"
        case .badGroupSyntax: what = "invalid or unsupported group syntax"
        case .lookaround: what = "lookahead and lookbehind are not supported"
        case .backreference: what = "backreferences are not supported"
        case .possessiveQuantifier: what = "possessive quantifiers are not supported"
        case .nestingTooDeep: what = "expression nests too deeply (limit \(TopicRegex.maxNestingDepth))"
        case .patternTooLong: what = "pattern too long (limit \(TopicRegex.maxPatternLength) characters)"
        case .programTooLarge: what = "pattern too large once compiled (limit \(TopicRegex.maxProgramSize) instructions)"
        }
        return fragment.isEmpty ? "\(what) at position \(position)" : "\(what): `\(fragment)` at position \(position)"
    }

    /// Same as `message`.
    public var description: String { message }
}

// MARK: - Program

/// Zero-width conditions checked between two input characters.
enum RegexAssertion: Sendable {
    case beginText, endText, beginLine, endLine, wordBoundary, notWordBoundary

    func holds(previous: Unicode.Scalar?, next: Unicode.Scalar?) -> Bool {
        switch self {
        case .beginText: return previous == nil
        case .endText: return next == nil
        case .beginLine: return previous == nil || previous == "\n"
        case .endLine: return next == nil || next == "\n"
        case .wordBoundary: return Self.isWord(previous) != Self.isWord(next)
        case .notWordBoundary: return Self.isWord(previous) == Self.isWord(next)
        }
    }

    /// RE2's `\b` uses ASCII word characters only.
    static func isWord(_ c: Unicode.Scalar?) -> Bool {
        guard let v = c?.value else { return false }
        return (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A) || v == 0x5F
    }
}

enum RegexInstruction: Sendable {
    case scalar(Unicode.Scalar)
    /// Matches any scalar whose case-fold key equals the stored key.
    case foldedScalar(Unicode.Scalar)
    /// Index into `RegexProgram.sets`; kept out of line so every instruction stays small.
    case set(Int)
    case any
    case anyExceptNewline
    case assert(RegexAssertion)
    case split(Int, Int)
    case jump(Int)
    case match
}

struct RegexProgram: Sendable {
    var instructions: [RegexInstruction] = []
    var sets: [RegexCharSet] = []

    /// Pike VM without captures: a whole match only needs to know which states are alive, not which path led
    /// there, so greediness is irrelevant and each state is kept at most once per input position.
    func wholeMatch(_ input: String.UnicodeScalarView) -> Bool {
        var current = RegexProgramCounterSet(capacity: instructions.count)
        var next = RegexProgramCounterSet(capacity: instructions.count)
        var work: [Int] = []
        var iterator = input.makeIterator()
        var lookahead = iterator.next()
        addClosure(of: 0, to: &current, previous: nil, next: lookahead, work: &work)
        while let c = lookahead {
            if current.isEmpty { return false }
            let following = iterator.next()
            next.removeAll()
            for k in 0..<current.count {
                let pc = current.member(k)
                if consumes(instructions[pc], c) {
                    addClosure(of: pc + 1, to: &next, previous: c, next: following, work: &work)
                }
            }
            swap(&current, &next)
            lookahead = following
        }
        return current.contains(instructions.count - 1)
    }

    private func consumes(_ instruction: RegexInstruction, _ c: Unicode.Scalar) -> Bool {
        switch instruction {
        case .scalar(let s): return s == c
        case .foldedScalar(let key): return RegexCaseFolding.key(c) == key
        case .set(let index): return sets[index].contains(c)
        case .any: return true
        case .anyExceptNewline: return c != "\n"
        case .assert, .split, .jump, .match: return false
        }
    }

    /// Adds every state reachable from `pc` without consuming input. Iterative so that its depth does not depend
    /// on the pattern; the set doubles as the visited mark, which also stops empty loops such as `(a*)*`.
    private func addClosure(
        of pc: Int, to set: inout RegexProgramCounterSet, previous: Unicode.Scalar?, next: Unicode.Scalar?,
        work: inout [Int]
    ) {
        work.append(pc)
        while let pc = work.popLast() {
            if set.contains(pc) { continue }
            set.insert(pc)
            switch instructions[pc] {
            case .jump(let target): work.append(target)
            case .split(let first, let second):
                work.append(second)
                work.append(first)
            case .assert(let condition):
                if condition.holds(previous: previous, next: next) { work.append(pc + 1) }
            case .scalar, .foldedScalar, .set, .any, .anyExceptNewline, .match: break
            }
        }
    }
}

/// A sparse set of program counters: O(1) insert, membership test and clear, iteration in insertion order.
struct RegexProgramCounterSet {
    private var dense: [Int32]
    private var sparse: [Int32]
    private(set) var count = 0

    init(capacity: Int) {
        dense = Array(repeating: 0, count: capacity)
        sparse = Array(repeating: 0, count: capacity)
    }

    var isEmpty: Bool { count == 0 }
    func member(_ k: Int) -> Int { Int(dense[k]) }

    func contains(_ pc: Int) -> Bool {
        let slot = Int(sparse[pc])
        return slot < count && dense[slot] == Int32(pc)
    }

    mutating func insert(_ pc: Int) {
        dense[count] = Int32(pc)
        sparse[pc] = Int32(count)
        count += 1
    }

    mutating func removeAll() { count = 0 }
}

// MARK: - Compiler

/// Emits a Thompson program for a syntax tree. Counted repetitions are expanded, so the instruction limit is what
/// bounds both memory and matching cost; the tree is normalised so that every node emits at least one
/// instruction, hence the limit also bounds compile time (e.g. for `((){1000}){1000}`).
struct RegexCompiler {
    private(set) var program = RegexProgram()
    let limit: Int

    init(limit: Int) { self.limit = limit }

    @discardableResult
    mutating func emit(_ instruction: RegexInstruction) throws -> Int {
        guard program.instructions.count < limit else {
            throw TopicRegexError(kind: .programTooLarge, position: 0, fragment: "")
        }
        program.instructions.append(instruction)
        return program.instructions.count - 1
    }

    private var here: Int { program.instructions.count }

    mutating func compile(_ node: RegexNode) throws {
        switch node {
        case .empty: break
        case .scalar(let c, let fold):
            try emit(fold && RegexCaseFolding.hasOtherCase(c) ? .foldedScalar(RegexCaseFolding.key(c)) : .scalar(c))
        case .set(let set):
            program.sets.append(set)
            try emit(.set(program.sets.count - 1))
        case .anyScalar: try emit(.any)
        case .anyExceptNewline: try emit(.anyExceptNewline)
        case .assertion(let a): try emit(.assert(a))
        case .concat(let items):
            for item in items { try compile(item) }
        case .alternate(let alternatives):
            var exits: [Int] = []
            for (k, alternative) in alternatives.enumerated() {
                guard k < alternatives.count - 1 else {
                    try compile(alternative)
                    break
                }
                let split = try emit(.split(0, 0))
                try compile(alternative)
                exits.append(try emit(.jump(0)))
                program.instructions[split] = .split(split + 1, here)
            }
            for exit in exits { program.instructions[exit] = .jump(here) }
        case .repetition(let sub, let min, let max):
            try compileRepetition(sub, min: min, max: max)
        }
    }

    private mutating func compileRepetition(_ sub: RegexNode, min: Int, max: Int?) throws {
        guard let max else {
            if min == 0 {
                // L: split(body, out); body; jump L
                let loop = try emit(.split(0, 0))
                try compile(sub)
                try emit(.jump(loop))
                program.instructions[loop] = .split(loop + 1, here)
            } else {
                for _ in 0..<(min - 1) { try compile(sub) }
                // The last mandatory copy loops back on itself: body; split(body, out)
                let body = here
                try compile(sub)
                try emit(.split(body, here + 1))
            }
            return
        }
        for _ in 0..<min { try compile(sub) }
        // Optional copies are nested — x{0,3} is (x(x(x)?)?)? — each split either continues or leaves.
        var splits: [Int] = []
        for _ in 0..<(max - min) {
            splits.append(try emit(.split(0, 0)))
            try compile(sub)
        }
        for split in splits { program.instructions[split] = .split(split + 1, here) }
    }
}

// MARK: - Syntax tree

/// The syntax tree `TopicRegex` compiles. Captures are irrelevant to a yes/no whole match, so groups vanish.
indirect enum RegexNode: Sendable {
    case empty
    case scalar(Unicode.Scalar, fold: Bool)
    case set(RegexCharSet)
    case anyScalar
    case anyExceptNewline
    case assertion(RegexAssertion)
    case concat([RegexNode])
    case alternate([RegexNode])
    /// `max == nil` means unbounded.
    case repetition(RegexNode, min: Int, max: Int?)

    /// Concatenation that drops empty items and splices nested concatenations, so that pure grouping such as
    /// `(a(b(c)))` does not deepen the tree the compiler recurses on, and so that only `.empty` emits nothing.
    static func sequence(_ items: [RegexNode]) -> RegexNode {
        var flat: [RegexNode] = []
        for item in items {
            switch item {
            case .empty: continue
            case .concat(let inner): flat.append(contentsOf: inner)
            default: flat.append(item)
            }
        }
        return flat.isEmpty ? .empty : flat.count == 1 ? flat[0] : .concat(flat)
    }

    static func choice(_ alternatives: [RegexNode]) -> RegexNode {
        guard alternatives.count > 1 else { return alternatives[0] }
        var flat: [RegexNode] = []
        for alternative in alternatives {
            if case .alternate(let inner) = alternative { flat.append(contentsOf: inner) } else { flat.append(alternative) }
        }
        return .alternate(flat)
    }

    /// Repeating nothing, or repeating zero times, is nothing; keeping it out of the tree means every non-empty
    /// node emits at least one instruction, so `((){1000}){1000}` cannot spin the compiler.
    static func repeated(_ sub: RegexNode, min: Int, max: Int?) -> RegexNode {
        if case .empty = sub { return .empty }
        if max == 0 { return .empty }
        if min == 1, max == 1 { return sub }
        return .repetition(sub, min: min, max: max)
    }
}

// MARK: - Character sets

/// A bracket class or class escape: ranges and Unicode categories, optionally negated and case-folded.
/// Membership of ASCII scalars — all that topic names contain — is precomputed into a 128-bit table.
struct RegexCharSet: Sendable {
    var ranges: [ClosedRange<UInt32>] = []
    var categories: [(mask: UInt32, negated: Bool)] = []
    var negated = false
    private var foldCase = false
    private var ascii: (low: UInt64, high: UInt64) = (0, 0)

    mutating func finish(foldCase: Bool) {
        self.foldCase = foldCase
        ascii = (0, 0)
        for v in 0..<UInt8(128) where slowContains(Unicode.Scalar(v)) {
            if v < 64 { ascii.low |= 1 << v } else { ascii.high |= 1 << (v - 64) }
        }
    }

    func contains(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        if v < 64 { return (ascii.low >> v) & 1 == 1 }
        if v < 128 { return (ascii.high >> (v - 64)) & 1 == 1 }
        return slowContains(c)
    }

    /// Case folding applies before negation, as in RE2: `(?i)[^k]` excludes `K` too.
    private func slowContains(_ c: Unicode.Scalar) -> Bool {
        var hit = rawContains(c)
        if !hit, foldCase {
            let folds = [RegexCaseFolding.lower(c), RegexCaseFolding.upper(c), RegexCaseFolding.key(c)]
            hit = folds.contains { rawContains($0) }
        }
        return hit != negated
    }

    private func rawContains(_ c: Unicode.Scalar) -> Bool {
        for r in ranges where r.contains(c.value) { return true }
        guard !categories.isEmpty else { return false }
        let bit = RegexUnicodeCategories.bit(of: c)
        for category in categories where (category.mask & bit != 0) != category.negated { return true }
        return false
    }
}

/// The ASCII-only classes RE2 defines for `\d \s \w` and `[[:name:]]`. Each list is sorted and disjoint.
enum RegexCharTables {
    static let digit: [ClosedRange<UInt32>] = [0x30...0x39]
    static let space: [ClosedRange<UInt32>] = [0x09...0x0A, 0x0C...0x0D, 0x20...0x20]
    static let word: [ClosedRange<UInt32>] = [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A]
    static let posix: [String: [ClosedRange<UInt32>]] = [
        "alnum": [0x30...0x39, 0x41...0x5A, 0x61...0x7A], "alpha": [0x41...0x5A, 0x61...0x7A],
        "ascii": [0x00...0x7F], "blank": [0x09...0x09, 0x20...0x20], "cntrl": [0x00...0x1F, 0x7F...0x7F],
        "digit": [0x30...0x39], "graph": [0x21...0x7E], "lower": [0x61...0x7A], "print": [0x20...0x7E],
        "punct": [0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E], "space": [0x09...0x0D, 0x20...0x20],
        "upper": [0x41...0x5A], "word": word, "xdigit": [0x30...0x39, 0x41...0x46, 0x61...0x66],
    ]

    static func complement(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var result: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for r in ranges {
            if r.lowerBound > next { result.append(next...(r.lowerBound - 1)) }
            next = r.upperBound + 1
        }
        if next <= 0x10_FFFF { result.append(next...0x10_FFFF) }
        return result
    }
}

/// Simple (one scalar to one scalar) case mapping, enough for `(?i)`: scalars are equal under folding when
/// their keys — the lowercase of the uppercase — are equal, which unites e.g. `k`, `K` and the Kelvin sign.
enum RegexCaseFolding {
    static func lower(_ c: Unicode.Scalar) -> Unicode.Scalar {
        let v = c.value
        if v < 0x80 { return (0x41...0x5A).contains(v) ? Unicode.Scalar(UInt8(v + 0x20)) : c }
        return single(c.properties.lowercaseMapping) ?? c
    }

    static func upper(_ c: Unicode.Scalar) -> Unicode.Scalar {
        let v = c.value
        if v < 0x80 { return (0x61...0x7A).contains(v) ? Unicode.Scalar(UInt8(v - 0x20)) : c }
        return single(c.properties.uppercaseMapping) ?? c
    }

    static func key(_ c: Unicode.Scalar) -> Unicode.Scalar { lower(upper(c)) }

    static func hasOtherCase(_ c: Unicode.Scalar) -> Bool { lower(c) != c || upper(c) != c }

    private static func single(_ mapping: String) -> Unicode.Scalar? {
        var scalars = mapping.unicodeScalars.makeIterator()
        guard let first = scalars.next(), scalars.next() == nil else { return nil }
        return first
    }
}
