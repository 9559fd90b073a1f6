/// One stdin line as the console producer reads it.
struct ConsoleLine: Equatable, Sendable {
    var key: String?
    var value: String?
    /// Header keys and values (nil for a null value), in line order.
    var headers: [Header] = []

    struct Header: Equatable, Sendable {
        var key: String
        var value: String?
    }
}

/// The console producer's `LineMessageReader`: each stdin line is a record. With `parse.headers=true` the text
/// before the first `headers.delimiter` (tab) holds headers, `k:v` pairs split by `headers.separator` (comma);
/// with `parse.key=true` the text before the next `key.separator` (tab) is the key; the rest is the value.
/// `null.marker` turns a key, value or header value into null.
struct ConsoleLineReader: Equatable, Sendable {
    var parseKey = false
    var keySeparator = "\t"
    var parseHeaders = false
    var headersDelimiter = "\t"
    var headersSeparator = ","
    var headersKeySeparator = ":"
    var ignoreError = false
    var nullMarker: String?

    /// A line Kafka's reader refuses, with Kafka's message.
    struct Refused: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    /// Reads the reader's `--property` keys; refuses separators that would be ambiguous, as Kafka's does.
    init(properties: [String: String] = [:]) throws(Refused) {
        func flag(_ k: String) -> Bool { properties[k]?.trimmedForTools.lowercased() == "true" }
        parseKey = flag("parse.key")
        keySeparator = properties["key.separator"] ?? keySeparator
        parseHeaders = flag("parse.headers")
        headersDelimiter = properties["headers.delimiter"] ?? headersDelimiter
        headersSeparator = properties["headers.separator"] ?? headersSeparator
        headersKeySeparator = properties["headers.key.separator"] ?? headersKeySeparator
        ignoreError = flag("ignore.error")
        nullMarker = properties["null.marker"]
        let named = [("headers.delimiter", headersDelimiter), ("headers.separator", headersSeparator),
                     ("headers.key.separator", headersKeySeparator)]
        for (i, a) in named.enumerated() {
            for b in named[(i + 1)...] where a.1 == b.1 {
                throw Refused(description: "\(a.0) and \(b.0) may not be equal")
            }
        }
        if let nullMarker {
            for (name, value) in [("key.separator", keySeparator)] + named where value == nullMarker {
                throw Refused(description: "null.marker and \(name) may not be equal")
            }
        }
    }

    /// The record of line `lineNumber` (1-based). A missing delimiter is an error unless `ignore.error=true`,
    /// when that part is absent (null key, no headers).
    func record(_ line: String, lineNumber: Int) throws(Refused) -> ConsoleLine {
        var rest = Substring(line)
        let headerText = try cut(&rest, at: parseHeaders ? headersDelimiter : nil, "headers delimiter", line, lineNumber)
        let key = try cut(&rest, at: parseKey ? keySeparator : nil, "key separator", line, lineNumber)
        var out = ConsoleLine(key: key == nullMarker ? nil : key, value: String(rest) == nullMarker ? nil : String(rest))
        if let headerText, headerText != nullMarker {
            out.headers = try headerText.split(separator: headersSeparator, omittingEmptySubsequences: false).map { pair throws(Refused) in
                guard let r = pair.firstRange(of: headersKeySeparator) else {
                    if ignoreError { return ConsoleLine.Header(key: String(pair), value: nil) }
                    throw Refused(description: "No header key separator found in pair '\(pair)' on line number \(lineNumber)")
                }
                let k = String(pair[..<r.lowerBound]), v = String(pair[r.upperBound...])
                if k == nullMarker {
                    throw Refused(description: "Header keys should not be equal to the null marker '\(k)' as they can't be null")
                }
                return ConsoleLine.Header(key: k, value: v == nullMarker ? nil : v)
            }
        }
        return out
    }

    /// The text of `rest` before `separator`, removed from `rest` with the separator; nil when not parsing this
    /// part, or when the separator is missing and errors are ignored.
    private func cut(_ rest: inout Substring, at separator: String?, _ name: String, _ line: String, _ lineNumber: Int) throws(Refused) -> String? {
        guard let separator else { return nil }
        guard !separator.isEmpty, let r = rest.firstRange(of: separator) else {
            if ignoreError { return nil }
            throw Refused(description: "No \(name) found on line number \(lineNumber): '\(line)'")
        }
        let part = String(rest[..<r.lowerBound])
        rest = rest[r.upperBound...]
        return part
    }
}
