import KafkaProtocol

/// `partition.metadata` in a partition directory: `version: 0` and `topic_id: <22-char base64 uuid>`.
public enum PartitionMetadataFile {
    public static let fileName = "partition.metadata"
    public static let version = 0

    public static func format(topicId: KafkaUUID) -> String { "version: \(version)\ntopic_id: \(topicId.base64)\n" }

    /// Parses the file, returning the topic id; `.corrupt` when malformed or of another version.
    public static func parse(_ text: String) throws -> KafkaUUID {
        var version: Int?
        var topicId: KafkaUUID?
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            guard let colon = line.firstIndex(of: ":") else { throw StorageError.corrupt("partition.metadata line '\(line)'") }
            let key = line[..<colon].trimmingSpaces
            let value = String(line[line.index(after: colon)...].trimmingSpaces)
            switch key {
            case "version": version = Int(value)
            case "topic_id": topicId = KafkaUUID(base64: value)
            default: throw StorageError.corrupt("partition.metadata key '\(key)'")
            }
        }
        guard version == Self.version, let topicId else { throw StorageError.corrupt("partition.metadata") }
        return topicId
    }
}
