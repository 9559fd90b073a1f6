import KafkaClient
import KafkaProtocol
import NIOCore

/// Kafka's `DefaultMessageFormatter` (the console consumer's output): optional timestamp, partition, offset,
/// headers and key columns before the value, joined by `key.separator`, each record ended by `line.separator`.
struct ConsoleRecordFormatter: Equatable, Sendable {
    var printTimestamp = false
    var printPartition = false
    var printOffset = false
    var printHeaders = false
    var printKey = false
    var printValue = true
    var keySeparator = "\t"
    var lineSeparator = "\n"
    var headersSeparator = ","
    var headersKeySeparator = ":"
    var nullLiteral = "null"

    /// Reads the formatter's `--property` keys (`print.key=true`, `key.separator=...`, ...); other keys are
    /// ignored, as Kafka's formatter ignores them.
    init(properties: [String: String] = [:]) {
        func flag(_ k: String, _ d: Bool) -> Bool { properties[k].map { $0.lowercased() == "true" } ?? d }
        printTimestamp = flag("print.timestamp", false)
        printPartition = flag("print.partition", false)
        printOffset = flag("print.offset", false)
        printHeaders = flag("print.headers", false)
        printKey = flag("print.key", false)
        printValue = flag("print.value", true)
        keySeparator = properties["key.separator"] ?? keySeparator
        lineSeparator = properties["line.separator"] ?? lineSeparator
        headersSeparator = properties["headers.separator"] ?? headersSeparator
        headersKeySeparator = properties["headers.key.separator"] ?? headersKeySeparator
        nullLiteral = properties["null.literal"] ?? nullLiteral
    }

    /// The text printed for one record, separators included.
    func format(_ r: ConsumerRecord) -> String {
        var columns: [String] = []
        if printTimestamp {
            switch r.timestampType {
            case .createTime: columns.append("CreateTime:\(r.timestamp)")
            case .logAppendTime: columns.append("LogAppendTime:\(r.timestamp)")
            case .noTimestampType: columns.append("NO_TIMESTAMP")
            }
        }
        if printPartition { columns.append("Partition:\(r.partition)") }
        if printOffset { columns.append("Offset:\(r.offset)") }
        if printHeaders {
            columns.append(r.headers.isEmpty ? "NO_HEADERS" : r.headers.map {
                $0.key + headersKeySeparator + text($0.value)
            }.joined(separator: headersSeparator))
        }
        if printKey { columns.append(text(r.key)) }
        if printValue { columns.append(text(r.value)) }
        // Kafka writes a separator after each column but the last, then the line separator after the value; with
        // print.value=false the last column ends the line.
        return columns.joined(separator: keySeparator) + lineSeparator
    }

    private func text(_ b: ByteBuffer?) -> String {
        guard let b else { return nullLiteral }
        return String(decoding: b.readableBytesView, as: UTF8.self)
    }
}
