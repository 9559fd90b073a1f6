/// `.kafka_cleanshutdown` in a log directory: present after a clean shutdown, JSON `{"version":0,"brokerEpoch":N}`.
/// Its presence lets the next start skip recovery.
public enum CleanShutdownFile {
    public static let fileName = ".kafka_cleanshutdown"

    public static func format(brokerEpoch: Int64) -> String { "{\"version\":0,\"brokerEpoch\":\(brokerEpoch)}" }

    /// The broker epoch recorded in the file, -1 when the file is empty or unparsable (Kafka treats such a file
    /// as present, with an unknown epoch).
    public static func parseBrokerEpoch(_ text: String) -> Int64 {
        let needle = "\"brokerEpoch\""
        var start = text.startIndex
        while start < text.endIndex, !text[start...].hasPrefix(needle) { start = text.index(after: start) }
        guard start < text.endIndex else { return -1 }
        var digits = ""
        var rest = text[text.index(start, offsetBy: needle.count)...].drop { $0 == " " || $0 == ":" }
        if rest.first == "-" {
            digits = "-"
            rest = rest.dropFirst()
        }
        digits += rest.prefix { $0.isNumber }
        return Int64(digits) ?? -1
    }
}
