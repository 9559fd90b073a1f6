/// A Java `.properties` document, read with the rules of `java.util.Properties.load`.
///
/// Kafka reads `server.properties` with those rules, so files written for Kafka must mean the same here:
/// `key=value`, `key: value` and `key value` separators; `#` and `!` comment lines; a trailing backslash that
/// continues the logical line (leading whitespace of the continuation is dropped); escapes `\t \n \r \f`,
/// `\uXXXX` (UTF-16 code units, so surrogate pairs work) and `\c` meaning `c` for any other character.
public struct PropertiesFile: Sendable, Equatable {
    /// One `key=value` pair with the 1-based line its logical line starts on.
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var value: String
        public var line: Int

        public init(key: String, value: String, line: Int) {
            self.key = key
            self.value = value
            self.line = line
        }
    }

    /// Every pair in file order; a key given twice appears twice (the later one wins in `values`).
    public private(set) var entries: [Entry]

    /// Where the text came from, used in error messages (a path, or a description).
    public let source: String

    /// Parses `text`; throws `ConfigError.syntax` naming the line of a malformed `\uXXXX` escape.
    public init(parsing text: String, source: String = "properties") throws {
        self.source = source
        var reader = LogicalLineReader(Array(text.unicodeScalars))
        var entries: [Entry] = []
        while let (line, startLine) = reader.next() {
            let (rawKey, rawValue) = Self.split(line)
            do {
                entries.append(Entry(key: try Self.unescape(rawKey), value: try Self.unescape(rawValue), line: startLine))
            } catch let message as EscapeError {
                throw ConfigError.syntax(source: source, line: startLine, message: message.text)
            }
        }
        self.entries = entries
    }

    /// The effective values: for a repeated key, the last occurrence wins (as in Java).
    public var values: [String: String] {
        var result: [String: String] = [:]
        for entry in entries { result[entry.key] = entry.value }
        return result
    }

    /// The line of the effective (last) occurrence of `key`.
    public func line(of key: String) -> Int? {
        entries.last(where: { $0.key == key })?.line
    }

    // Java's separator rule: the key ends at the first unescaped '=', ':' or whitespace; then whitespace, at
    // most one '=' or ':', and more whitespace are skipped before the value.
    private static func split(_ line: [Unicode.Scalar]) -> ([Unicode.Scalar], [Unicode.Scalar]) {
        var keyEnd = 0
        var hasSeparator = false
        var valueStart = line.count
        while keyEnd < line.count {
            let c = line[keyEnd]
            if c == "\\" {
                keyEnd += 2
                continue
            }
            if c == "=" || c == ":" {
                hasSeparator = true
                valueStart = keyEnd + 1
                break
            }
            if isWhitespace(c) {
                valueStart = keyEnd + 1
                break
            }
            keyEnd += 1
        }
        keyEnd = min(keyEnd, line.count)
        while valueStart < line.count {
            let c = line[valueStart]
            if !isWhitespace(c) {
                if !hasSeparator && (c == "=" || c == ":") {
                    hasSeparator = true
                } else {
                    break
                }
            }
            valueStart += 1
        }
        return (Array(line[0..<keyEnd]), Array(line[min(valueStart, line.count)...]))
    }

    private struct EscapeError: Error {
        let text: String
    }

    private static func unescape(_ raw: [Unicode.Scalar]) throws -> String {
        var units: [UInt16] = []
        units.reserveCapacity(raw.count)
        var i = 0
        while i < raw.count {
            let c = raw[i]
            i += 1
            guard c == "\\" else {
                units.append(contentsOf: Character(c).utf16)
                continue
            }
            // A lone backslash at the very end (a continuation with nothing after it) is dropped, as Java does.
            guard i < raw.count else { break }
            let escaped = raw[i]
            i += 1
            switch escaped {
            case "t": units.append(0x09)
            case "n": units.append(0x0A)
            case "r": units.append(0x0D)
            case "f": units.append(0x0C)
            case "u":
                guard i + 4 <= raw.count, let unit = UInt16(String(String.UnicodeScalarView(raw[i..<(i + 4)])), radix: 16)
                else {
                    let found = String(String.UnicodeScalarView(raw[i..<min(i + 4, raw.count)]))
                    throw EscapeError(text: "malformed \\uXXXX escape '\\u\(found)': expected four hexadecimal digits")
                }
                units.append(unit)
                i += 4
            default:
                units.append(contentsOf: Character(escaped).utf16)
            }
        }
        return String(decoding: units, as: UTF16.self)
    }

    static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
        c == " " || c == "\t" || c == "\u{0C}"
    }
}
