/// Splits properties text into logical lines the way `java.util.Properties` does.
///
/// Natural lines end at `\n`, `\r` or `\r\n`. Blank lines and lines whose first non-blank character is `#` or
/// `!` are skipped. A line ending in an odd number of backslashes continues on the next natural line, whose
/// leading whitespace is dropped; a continuation line starting with `#` is content, not a comment. The
/// backslashes are left in place (minus the continuation one) so the caller can unescape them.
struct LogicalLineReader {
    private let text: [Unicode.Scalar]
    private var index = 0
    private var lineNumber = 1

    init(_ text: [Unicode.Scalar]) {
        self.text = text
    }

    /// The next logical line and the 1-based line number it starts on; nil at the end of the text.
    mutating func next() -> ([Unicode.Scalar], Int)? {
        while index < text.count {
            skipWhitespace()
            guard index < text.count else { return nil }
            let first = text[index]
            if isTerminator(first) {
                consumeTerminator()
                continue
            }
            if first == "#" || first == "!" {
                skipToEndOfLine()
                continue
            }
            let start = lineNumber
            var line: [Unicode.Scalar] = []
            while true {
                while index < text.count, !isTerminator(text[index]) {
                    line.append(text[index])
                    index += 1
                }
                var trailingBackslashes = 0
                for c in line.reversed() {
                    guard c == "\\" else { break }
                    trailingBackslashes += 1
                }
                let atEnd = index >= text.count
                if !atEnd { consumeTerminator() }
                guard trailingBackslashes % 2 == 1, !atEnd else { break }
                line.removeLast()
                skipWhitespace()
            }
            return (line, start)
        }
        return nil
    }

    private func isTerminator(_ c: Unicode.Scalar) -> Bool {
        c == "\n" || c == "\r"
    }

    private mutating func skipWhitespace() {
        while index < text.count, PropertiesFile.isWhitespace(text[index]) { index += 1 }
    }

    private mutating func skipToEndOfLine() {
        while index < text.count, !isTerminator(text[index]) { index += 1 }
        if index < text.count { consumeTerminator() }
    }

    private mutating func consumeTerminator() {
        if text[index] == "\r", index + 1 < text.count, text[index + 1] == "\n" { index += 1 }
        index += 1
        lineNumber += 1
    }
}
