import Testing

@testable import KafkaCoordinator

/// `TopicRegex`: RE2 syntax, whole-match semantics, refusal of what RE2 refuses, and linear-time matching.
struct TopicRegexTests {
    /// (pattern, names that must match in full, names that must not).
    static let matching: [(String, [String], [String])] = [
        // Literals, `.` and the empty pattern.
        ("orders-.*", ["orders-eu", "orders-", "orders-a.b"], ["x-orders-eu", "orders", "Orders-eu"]),
        ("orders", ["orders"], ["order", "orderss", ""]),
        ("", [""], ["a", " "]),
        ("a.c", ["abc", "a.c", "aéc"], ["a\nc", "ac", "abbc"]),
        (".*", ["", "anything at all"], ["a\nb"]),
        ("(?s)a.c", ["a\nc", "abc"], []),
        ("..", ["ab", "👍🏽"], ["a", "abc"]),  // scalars, not grapheme clusters
        ("é+", ["é", "éé"], ["e", "e\u{301}"]),
        // Anchors.
        ("^topic[0-9]+$", ["topic1", "topic123"], ["topic", "topicx", "atopic1", "topic1a"]),
        ("\\Aabc\\z", ["abc"], ["abc\n", "xabc"]),
        ("abc$", ["abc"], ["abc\n"]),
        ("a^b", [], ["ab", "a\nb"]),
        ("a$b", [], ["ab", "a\nb"]),
        ("a\\n^b", [], ["a\nb"]),
        ("(?m)a\\n^b", ["a\nb"], []),
        ("(?m)a$\\nb", ["a\nb"], []),
        ("^*a$+", ["a"], []),
        ("\\bfoo\\b", ["foo"], []),
        ("foo\\b.bar", ["foo.bar", "foo-bar"], ["fooxbar", "foo_bar"]),
        ("a\\B.", ["ab", "a_"], ["a-", "a."]),
        // Alternation, groups, empty alternatives and groups.
        ("a|b", ["a", "b"], ["", "ab", "c"]),
        ("orders|payments-.*", ["orders", "payments-1"], ["orders-1", "payment"]),
        ("(ab)+", ["ab", "abab"], ["", "a", "aba", "abb"]),
        ("(?:ab)*c", ["c", "ababc"], ["abac", "ab"]),
        ("a(b|c(d|e))f", ["abf", "acdf", "acef"], ["acf", "af"]),
        ("()", [""], ["a"]),
        ("a()b", ["ab"], ["a"]),
        ("a|", ["a", ""], ["b"]),
        ("|a", ["a", ""], ["b"]),
        ("(|a)+", ["", "aaa"], ["b"]),
        ("(?P<name>a+)b", ["aab"], ["b"]),
        ("(?<n>x)(?<m>y)", ["xy"], ["x"]),
        // Quantifiers, counted repetition, lazy forms.
        ("ab*c", ["ac", "abc", "abbbc"], ["abd"]),
        ("ab+c", ["abc", "abbc"], ["ac"]),
        ("ab?c", ["ac", "abc"], ["abbc"]),
        ("a{2,3}", ["aa", "aaa"], ["a", "aaaa", ""]),
        ("a{2}", ["aa"], ["a", "aaa"]),
        ("a{2,}", ["aa", "aaaaaa"], ["a"]),
        ("a{0}", [""], ["a"]),
        ("a{0,1}b", ["b", "ab"], ["aab"]),
        ("a{1000}", [String(repeating: "a", count: 1000)], [String(repeating: "a", count: 999)]),
        ("(a|bc){1,2}", ["a", "bc", "abc", "bca", "aa"], ["", "abca"]),
        ("a+?", ["a", "aaa"], [""]),
        ("a*?b", ["b", "aab"], ["a"]),
        ("a??b", ["ab", "b"], ["aab"]),
        ("a{1,3}?", ["aaa"], ["aaaa"]),
        ("(a*)*", ["", "aaa"], ["b"]),
        ("(a*)+b", ["b", "aab"], ["a"]),
        // `{` that is not a well-formed count, and lone `]` `}`, are literals.
        ("a{", ["a{"], ["a"]),
        ("a{,2}", ["a{,2}"], ["aa"]),
        ("a{01}", ["a{01}"], ["a"]),
        ("a{1", ["a{1"], ["a"]),
        ("a]}", ["a]}"], []),
        // Classes.
        ("[abc]", ["a", "b", "c"], ["d", "ab", ""]),
        ("[a-z0-9_.-]+", ["topic.name-1_x"], ["Topic", "a b", ""]),
        ("[^abc]", ["d", "\n", "é"], ["a", "", "dd"]),
        ("[]a]", ["]", "a"], ["b"]),
        ("[^]a]", ["b"], ["]", "a"]),
        ("[-a]", ["-", "a"], ["b"]),
        ("[a-]", ["-", "a"], ["b"]),
        ("[a-c-e]", ["a", "b", "c", "-", "e"], ["d"]),
        ("[.*+?]+", [".*+?"], ["a"]),
        ("[\\]\\\\\\-]", ["]", "\\", "-"], ["a"]),
        ("[\\d]+", ["0123"], ["12a"]),
        ("[^\\d]", ["a"], ["5"]),
        ("[\\D5]", ["a", "5"], ["4"]),
        ("[\\w.-]+", ["my.topic-1"], ["my topic"]),
        ("[\\x41-\\x43]+", ["ABC"], ["D"]),
        ("[a[]+", ["a[a["], ["b"]),
        ("[[:alpha:]]+", ["abcXYZ"], ["ab1"]),
        ("[[:digit:][:upper:]]+", ["A1"], ["a"]),
        ("[[:^digit:]]", ["a"], ["1"]),
        ("[[:word:].-]+", ["a_b.c-d"], ["a b"]),
        ("[[:punct:]]+", ["!-./@[`{~"], ["a"]),
        // Perl and Unicode classes.
        ("\\d+", ["0123"], ["12a", ""]),
        ("\\D", ["a"], ["1"]),
        ("\\w+", ["a_Z9"], ["a-b"]),
        ("\\W", ["-"], ["a", "_"]),
        ("\\s", [" ", "\t", "\n", "\r", "\u{0C}"], ["a", "\u{0B}"]),
        ("\\S", ["a"], [" "]),
        ("\\pL+", ["abcé"], ["1"]),
        ("\\p{Lu}", ["É"], ["é"]),
        ("\\PN", ["a"], ["5"]),
        ("\\p{^L}", ["1"], ["a"]),
        ("[\\p{Nd}a]+", ["a٣1"], ["b"]),
        ("\\p{Any}", ["☺"], [""]),
        // Escapes.
        ("\\.", ["."], ["a"]),
        ("a\\.b", ["a.b"], ["axb"]),
        ("\\\\", ["\\"], ["a"]),
        ("\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\^\\$\\-\\_\\ ", ["*+?()[]{}|^$-_ "], []),
        ("\\t\\n\\r\\f\\v\\a", ["\t\n\r\u{0C}\u{0B}\u{07}"], []),
        ("\\x41\\x{263A}", ["A☺"], []),
        ("\\101\\0\\12", ["A\0\n"], []),
        ("\\Qa.b*\\E+", ["a.b*", "a.b**"], ["axb"]),
        ("\\Qa|b", ["a|b"], ["a"]),
        // Case-insensitivity.
        ("(?i)orders", ["ORDERS", "Orders", "orders"], ["order"]),
        ("(?i)[a-c]+", ["AbC"], ["d"]),
        ("(?i)[^k]", ["x"], ["k", "K"]),
        ("(?i)k", ["k", "K", "\u{212A}"], ["x"]),
        ("(?i)é", ["É"], ["E"]),
        ("a(?i)b", ["aB", "ab"], ["AB"]),
        ("(?i:a)b", ["Ab"], ["AB"]),
        ("(?i)a(?-i)b", ["Ab"], ["AB"]),
        ("x(?i:a|b)y", ["xBy"], ["XBY"]),
        ("(?i)(a)B", ["Ab"], []),
        ("(?is-m:a.b)", ["A\nB"], []),
        ("(?U)a+", ["aaa"], []),
        ("(?)a", ["a"], []),
    ]

    @Test func matchesAndNonMatches() throws {
        for (pattern, yes, no) in Self.matching {
            let regex: TopicRegex
            do { regex = try TopicRegex(pattern) } catch {
                Issue.record("`\(pattern)` should compile: \(error)")
                continue
            }
            for name in yes { #expect(regex.wholeMatch(name), "`\(pattern)` should match \(name.debugDescription)") }
            for name in no { #expect(!regex.wholeMatch(name), "`\(pattern)` should not match \(name.debugDescription)") }
        }
    }

    /// (pattern, expected error kind).
    static let invalid: [(String, TopicRegexError.Kind)] = [
        ("(a", .missingParen), ("a(b(c)", .missingParen), ("(?:a", .missingParen), ("(?i:", .missingParen),
        ("a)", .unexpectedParen), ("(a))", .unexpectedParen), (")", .unexpectedParen),
        ("[a", .missingBracket), ("[]", .missingBracket), ("[^]", .missingBracket), ("[a-", .missingBracket),
        ("[[:alpha:]", .missingBracket),
        ("a{2,1}", .badRepeatCount), ("a{1001}", .badRepeatCount), ("a{2,1001}", .badRepeatCount),
        ("a{99999999999}", .badRepeatCount),
        ("*a", .missingRepeatArgument), ("a|*", .missingRepeatArgument), ("(*a)", .missingRepeatArgument),
        ("(?i)*", .missingRepeatArgument), ("{2}", .missingRepeatArgument), ("+", .missingRepeatArgument),
        ("a**", .nestedRepetition), ("a+*", .nestedRepetition), ("a*?*", .nestedRepetition), ("a*??", .nestedRepetition),
        ("a{2}{3}", .nestedRepetition), ("a{2}*", .nestedRepetition), ("a*?+", .nestedRepetition),
        ("a*+", .possessiveQuantifier), ("a++", .possessiveQuantifier), ("a?+", .possessiveQuantifier),
        ("a{2}+", .possessiveQuantifier),
        ("(?=a)", .lookaround), ("a(?!b)", .lookaround), ("(?<=a)b", .lookaround), ("(?<!a)b", .lookaround),
        ("(a)\\1", .backreference), ("\\9", .backreference), ("[\\1]", .backreference),
        ("(?P<n>a)(?P=n)", .backreference),
        ("\\Z", .invalidEscape), ("\\C", .invalidEscape), ("\\q", .invalidEscape), ("\\é", .invalidEscape),
        ("\\x4", .invalidEscape), ("\\x{}", .invalidEscape), ("\\x{110000}", .invalidEscape), ("\\xg0", .invalidEscape),
        ("[\\b]", .invalidEscape), ("\\E", .invalidEscape),
        ("a\\", .trailingBackslash), ("[a\\", .trailingBackslash),
        ("[z-a]", .badCharacterRange), ("[[:foo:]]", .badCharacterRange), ("[[:]]", .badCharacterRange),
        ("\\p{Greek}", .badCharacterRange), ("\\pX", .badCharacterRange), ("\\p", .badCharacterRange),
        ("\\p{L", .badCharacterRange), ("[\\p{Foo}]", .badCharacterRange),
        ("(?P<>a)", .badNamedGroup), ("(?P<a-b>x)", .badNamedGroup), ("(?P<n", .badNamedGroup),
        ("(?<n>a)(?P<n>b)", .duplicateGroupName),
        ("(?x)a", .badGroupSyntax), ("(?>a)", .badGroupSyntax), ("(?#c)", .badGroupSyntax), ("(?i-)a", .badGroupSyntax),
        ("(?-)a", .badGroupSyntax), ("(?", .badGroupSyntax), ("(?i", .badGroupSyntax), ("(?--i)", .badGroupSyntax),
        ("(?P>n)", .badGroupSyntax),
    ]

    @Test func syntaxErrorsAndRefusedConstructs() {
        for (pattern, kind) in Self.invalid {
            do {
                _ = try TopicRegex(pattern)
                Issue.record("`\(pattern)` should be rejected with \(kind)")
            } catch let error as TopicRegexError {
                #expect(error.kind == kind, "`\(pattern)`: \(error)")
            } catch {
                Issue.record("`\(pattern)`: unexpected error type \(error)")
            }
        }
    }

    @Test func errorMessagesNameTheProblemAndPosition() throws {
        let unclosed = #expect(throws: TopicRegexError.self) { try TopicRegex("ab(cd") }
        #expect(unclosed?.position == 2)
        #expect(unclosed?.message.contains("missing closing )") == true)
        #expect(unclosed?.description.contains("position 2") == true)

        let stacked = #expect(throws: TopicRegexError.self) { try TopicRegex("topic-a**") }
        #expect(stacked?.fragment == "**")
        #expect(stacked?.position == 7)
        #expect(stacked?.message == "invalid nested repetition operator: `**` at position 7")

        let lookahead = #expect(throws: TopicRegexError.self) { try TopicRegex("x(?=y)") }
        #expect(lookahead?.message.contains("lookahead") == true)
        #expect(lookahead?.position == 1)
    }

    @Test func sizeAndNestingLimits() throws {
        let depth = TopicRegex.maxNestingDepth
        let nested = String(repeating: "(", count: depth) + "a" + String(repeating: ")", count: depth)
        #expect(try TopicRegex(nested).wholeMatch("a"))
        let chained = String(repeating: "(a", count: depth) + String(repeating: ")*", count: depth)
        #expect(try TopicRegex(chained).wholeMatch("aaaa"))
        let tooDeep = "(" + nested + ")"
        #expect(throws: TopicRegexError(kind: .nestingTooDeep, position: depth, fragment: "(")) { try TopicRegex(tooDeep) }

        let longest = String(repeating: "a", count: TopicRegex.maxPatternLength)
        #expect(try TopicRegex(longest).wholeMatch(longest))
        let tooLong = #expect(throws: TopicRegexError.self) { try TopicRegex(longest + "a") }
        #expect(tooLong?.kind == .patternTooLong)

        for huge in ["(((a{100}){100}){100})", "((a{1000}){1000})", "(?:a{1000}){100}", "((|){1000}){1000}"] {
            let error = #expect(throws: TopicRegexError.self, "\(huge)") { try TopicRegex(huge) }
            #expect(error?.kind == .programTooLarge, "\(huge)")
        }
        #expect(try TopicRegex("(?:a{1000}){99}").wholeMatch(String(repeating: "a", count: 99_000)))
        // Repeating nothing expands to nothing, so this is small and must not spin the compiler.
        let empty = try TopicRegex("(((){1000}){1000}){1000}")
        #expect(empty.wholeMatch(""))
        #expect(!empty.wholeMatch("a"))
    }

    /// Patterns that take a backtracking engine exponential time against a 249-character topic name (the
    /// longest Kafka allows). Only the answers are checked; the point is that the test finishes at all.
    @Test func pathologicalPatternsFinish() throws {
        let a249 = String(repeating: "a", count: 249)
        let cases: [(String, String, Bool)] = [
            ("(a+)+$", a249, true),
            ("(a+)+$", a249 + "b", false),
            ("(a+)+b", a249, false),
            ("(a|a)*b", a249, false),
            ("(a|a)*", a249, true),
            ("(a*)*c", a249, false),
            ("(a|aa)+c", a249, false),
            ("(.*a){20}", a249, true),
            ("(.*a){20}b", a249, false),
            ("(x+x+)+y", String(repeating: "x", count: 249), false),
            ("(a?){249}a{249}", a249, true),
            ("(a?){249}a{249}b", a249, false),
            ("((a*)*|b)*c", a249, false),
            ("(\\w+\\.?)+\\.", a249, false),
        ]
        for (pattern, name, expected) in cases {
            #expect(try TopicRegex(pattern).wholeMatch(name) == expected, "`\(pattern)`")
        }
    }

    @Test func equalityAndHashingFollowThePattern() throws {
        let a = try TopicRegex("orders-.*")
        let b = try TopicRegex("orders-.*")
        let c = try TopicRegex("orders-.+")
        #expect(a == b)
        #expect(a != c)
        #expect(Set([a, b, c]).count == 2)
        #expect(a.pattern == "orders-.*")
    }

    /// Compares with Swift's `Regex` (a backtracking engine with the same meaning on this small alphabet) on
    /// random patterns and strings. Half the patterns are token soup, half are built to be well formed; those
    /// either engine rejects are skipped (RE2 refuses `a**` and `a*+`, which Swift accepts).
    @Test func agreesWithSwiftRegexOnRandomPatterns() throws {
        let seed: UInt64 = 0x5EED_7091_C0DE
        var random = SimRandom(seed: seed)
        let tokens = ["a", "b", ".", "*", "+", "?", "|", "(", ")", "[ab]"]
        let atoms = ["a", "b", ".", "[ab]"]
        let quantifiers = ["*", "+", "?", "*?", "+?", "??"]
        func wellFormed(_ depth: Int) -> String {
            switch random.below(depth >= 3 ? 2 : 7) {
            case 0: return atoms[random.below(atoms.count)]
            case 1: return atoms[random.below(atoms.count)] + quantifiers[random.below(quantifiers.count)]
            case 2: return wellFormed(depth + 1) + wellFormed(depth + 1)
            case 3: return wellFormed(depth + 1) + "|" + wellFormed(depth + 1)
            case 4: return "(" + wellFormed(depth + 1) + ")"
            case 5: return "(" + wellFormed(depth + 1) + ")" + quantifiers[random.below(quantifiers.count)]
            default: return "(" + wellFormed(depth + 1) + "|" + (random.chance(20) ? "" : wellFormed(depth + 1)) + ")*"
            }
        }
        var compared = 0
        for round in 0..<400 {
            var pattern = ""
            if round.isMultiple(of: 2) {
                for _ in 0..<random.int(1...8) { pattern += tokens[random.below(tokens.count)] }
            } else {
                pattern = wellFormed(0)
            }
            guard let ours = try? TopicRegex(pattern), let theirs = try? Regex(pattern) else { continue }
            compared += 1
            for _ in 0..<12 {
                var name = ""
                for _ in 0..<random.int(0...6) { name += random.chance(50) ? "a" : "b" }
                let expected = (try? theirs.wholeMatch(in: name)) != nil
                #expect(
                    ours.wholeMatch(name) == expected,
                    "seed \(seed) round \(round): `\(pattern)` on \(name.debugDescription): Swift Regex says \(expected)")
            }
        }
        #expect(compared >= 200, "seed \(seed): only \(compared) patterns were valid for both engines")
    }
}
