import KafkaProtocol

/// `meta.properties` in every log directory: the node's identity (Java properties; KRaft `version=1`).
public struct MetaProperties: Hashable, Sendable {
    public static let fileName = "meta.properties"

    /// 1 for KRaft (0 was the ZooKeeper form with `broker.id`).
    public var version: Int
    public var clusterId: String?
    public var nodeId: Int32?
    /// This log directory's id; nil in files written before Kafka 3.7.
    public var directoryId: KafkaUUID?
    /// Other keys, kept so that rewriting the file does not lose them.
    public var other: [String: String]

    public init(version: Int = 1, clusterId: String?, nodeId: Int32?, directoryId: KafkaUUID?, other: [String: String] = [:]) {
        self.version = version
        self.clusterId = clusterId
        self.nodeId = nodeId
        self.directoryId = directoryId
        self.other = other
    }

    /// Parses Java properties text as Kafka writes it: `#` comments, `key=value` lines. (Escapes and line
    /// continuations never occur in these values.)
    public init(text: String) throws {
        var values: [String: String] = [:]
        for raw in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let line = raw.trimmingSpaces
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("!") { continue }
            guard let separator = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                throw StorageError.corrupt("meta.properties line '\(line)'")
            }
            values[String(line[..<separator].trimmingSpaces)] = String(line[line.index(after: separator)...].trimmingSpaces)
        }
        guard let versionText = values.removeValue(forKey: "version"), let version = Int(versionText) else {
            throw StorageError.corrupt("meta.properties without version")
        }
        self.version = version
        self.clusterId = values.removeValue(forKey: "cluster.id")
        let node = values.removeValue(forKey: "node.id") ?? (version == 0 ? values.removeValue(forKey: "broker.id") : nil)
        self.nodeId = node.flatMap { Int32($0) }
        self.directoryId = values.removeValue(forKey: "directory.id").flatMap { KafkaUUID(base64: $0) }
        self.other = values
    }

    /// Properties text, keys in a fixed order.
    public var text: String {
        var lines = ["#", "#Written by Tributary"]
        if let clusterId { lines.append("cluster.id=\(clusterId)") }
        if let directoryId { lines.append("directory.id=\(directoryId.base64)") }
        if let nodeId { lines.append("\(version == 0 ? "broker.id" : "node.id")=\(nodeId)") }
        for (key, value) in other.sorted(by: { $0.key < $1.key }) { lines.append("\(key)=\(value)") }
        lines.append("version=\(version)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads `meta.properties` of a log directory; nil when absent.
    public static func read(directory: String, fileSystem: any FileSystem) throws -> MetaProperties? {
        let path = FilePath.join(directory, fileName)
        guard fileSystem.exists(path) else { return nil }
        return try MetaProperties(text: try fileSystem.readText(path))
    }

    /// Writes `meta.properties` crash-safely.
    public func write(directory: String, fileSystem: any FileSystem) throws {
        try fileSystem.writeAtomically(FilePath.join(directory, Self.fileName), text: text)
    }
}
