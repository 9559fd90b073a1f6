import Testing

@testable import KafkaServer

@Suite("Config: java.util.Properties parsing")
struct ConfigPropertiesFileTests {
    private func values(_ text: String) throws -> [String: String] {
        try PropertiesFile(parsing: text).values
    }

    @Test func separatorsAsJavaReadsThem() throws {
        let v = try values("""
            a=1
            b: 2
            c 3
            d = 4
            e:=5
            f   =   6
            g
            h=
            i==x
            j\t:\tseven
            """)
        #expect(v == ["a": "1", "b": "2", "c": "3", "d": "4", "e": "=5", "f": "6", "g": "", "h": "", "i": "=x",
                      "j": "seven"])
    }

    @Test func commentsBlankLinesAndLeadingWhitespace() throws {
        let v = try values("# a comment\n! another\n\n   \n   # indented comment\n   key=value\n\tother = x # not a comment\n")
        #expect(v == ["key": "value", "other": "x # not a comment"])
    }

    @Test func trailingWhitespaceOfValuesIsKept() throws {
        #expect(try values("a=b  \n") == ["a": "b  "])
    }

    @Test func lineContinuations() throws {
        let v = try values("listeners=PLAINTEXT://:9092,\\\n    CONTROLLER://:9093\nnext=1\n")
        #expect(v["listeners"] == "PLAINTEXT://:9092,CONTROLLER://:9093")
        #expect(v["next"] == "1")
    }

    @Test func evenTrailingBackslashesDoNotContinue() throws {
        let v = try values("x=a\\\\\ny=2")
        #expect(v == ["x": "a\\", "y": "2"])
    }

    @Test func continuationLineStartingWithHashIsContent() throws {
        #expect(try values("a=1\\\n  #2\n") == ["a": "1#2"])
    }

    @Test func continuationAtEndOfTextDropsTheBackslash() throws {
        #expect(try values("a=1\\") == ["a": "1"])
    }

    @Test func commentLinesDoNotContinue() throws {
        #expect(try values("# comment \\\nkey=v") == ["key": "v"])
    }

    @Test func escapes() throws {
        let v = try values(#"""
            tab=a\tb
            newline=a\nb
            slash=C:\\data
            unicode=\u0041\u00e9
            emoji=\uD83D\uDE00
            my\ key=spaced
            a\=b=c
            a\:b=d
            other=\q
            """#)
        #expect(v["tab"] == "a\tb")
        #expect(v["newline"] == "a\nb")
        #expect(v["slash"] == "C:\\data")
        #expect(v["unicode"] == "Aé")
        #expect(v["emoji"] == "😀")
        #expect(v["my key"] == "spaced")
        #expect(v["a=b"] == "c")
        #expect(v["a:b"] == "d")
        #expect(v["other"] == "q")
    }

    @Test func windowsAndOldMacLineEndings() throws {
        let file = try PropertiesFile(parsing: "a=1\r\nb=2\rc=3\r\n\r\nd=4")
        #expect(file.values == ["a": "1", "b": "2", "c": "3", "d": "4"])
        #expect(file.line(of: "d") == 5)
    }

    @Test func lastDuplicateWinsAndLinesAreTracked() throws {
        let file = try PropertiesFile(parsing: "# header\nnum.partitions=1\n\nnum.partitions=3\n")
        #expect(file.values["num.partitions"] == "3")
        #expect(file.line(of: "num.partitions") == 4)
        #expect(file.entries.count == 2)
    }

    @Test func continuedLineReportsItsFirstLine() throws {
        let file = try PropertiesFile(parsing: "a=1\\\n2\\\n3\nb=4\n")
        #expect(file.line(of: "a") == 1)
        #expect(file.line(of: "b") == 4)
    }

    @Test func malformedUnicodeEscapeNamesTheLine() throws {
        #expect(throws: ConfigError.syntax(source: "server.properties", line: 3,
                                           message: "malformed \\uXXXX escape '\\u12zz': expected four hexadecimal digits")) {
            try PropertiesFile(parsing: "a=1\n# c\nbad=\\u12zz\n", source: "server.properties")
        }
        let error = #expect(throws: ConfigError.self) { try PropertiesFile(parsing: "x=\\u12", source: "f") }
        #expect(error?.description.hasPrefix("f line 1: malformed") == true)
    }

    @Test func emptyTextHasNoEntries() throws {
        #expect(try PropertiesFile(parsing: "").entries.isEmpty)
        #expect(try PropertiesFile(parsing: "\n\n# only comments\n").entries.isEmpty)
    }
}
