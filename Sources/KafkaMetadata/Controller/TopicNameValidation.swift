/// Kafka's rules for topic names (`org.apache.kafka.common.internals.Topic`).
public enum TopicName {
    /// The longest legal name: 249, so that a partition directory `<name>-<partition>` plus the `.deleted`
    /// suffixes stays within a 255-byte file name.
    public static let maxLength = 249

    /// Why `name` is not a legal topic name, in Kafka's words, or nil when it is legal.
    public static func validationError(_ name: String) -> String? {
        if name.isEmpty { return "Topic name is illegal, it can't be empty" }
        if name == "." || name == ".." { return "Topic name cannot be \".\" or \"..\"" }
        if name.utf8.count > maxLength {
            return "Topic name is illegal, it can't be longer than \(maxLength) characters, topic name: \(name)"
        }
        let legal = name.utf8.allSatisfy { c in
            (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39)
                || c == 0x2E || c == 0x5F || c == 0x2D
        }
        if !legal {
            return "Topic name \"\(name)\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"
        }
        return nil
    }

    /// Whether the name contains '.' or '_', which collide in metric names (Kafka warns on creation).
    public static func hasCollisionChars(_ name: String) -> Bool { name.contains(".") || name.contains("_") }

    /// The name with '.' replaced by '_': two topics whose unified names match would share metric names.
    public static func unifyCollisionChars(_ name: String) -> String {
        String(name.map { $0 == "." ? "_" : $0 })
    }

    /// Names of internal topics (Kafka's `Topic.isInternal`).
    public static let internalTopics: Set<String> = ["__consumer_offsets", "__transaction_state"]
}
