/// Kafka's checkpoint text format: line 1 the version (0), line 2 the entry count, then one entry per line with
/// space-separated fields. Used by `recovery-point-offset-checkpoint`, `log-start-offset-checkpoint`,
/// `replication-offset-checkpoint` and `cleaner-offset-checkpoint` (entries `topic partition offset`) and by
/// `leader-epoch-checkpoint` (entries `epoch startOffset`).
public enum CheckpointText {
    /// The only version Kafka writes.
    public static let version = 0

    /// Formats entries given as field lists.
    public static func format(_ lines: [[String]]) -> String {
        var text = "\(version)\n\(lines.count)\n"
        for fields in lines { text += fields.joined(separator: " ") + "\n" }
        return text
    }

    /// Parses the text into entries' fields, checking the version, the count and that every entry has
    /// `fieldCount` fields. Tolerates a missing final newline and `\r\n` line ends; `.corrupt` otherwise.
    public static func parse(_ text: String, fieldCount: Int) throws -> [[Substring]] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? $0.dropLast() : $0
        }
        guard lines.count >= 2, let version = Int(lines[0].trimmingSpaces), version == Self.version,
              let count = Int(lines[1].trimmingSpaces), count >= 0
        else { throw StorageError.corrupt("checkpoint header") }
        let entries = lines.dropFirst(2).filter { !$0.trimmingSpaces.isEmpty }
        guard entries.count == count else {
            throw StorageError.corrupt("checkpoint says \(count) entries, holds \(entries.count)")
        }
        return try entries.map { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == fieldCount else { throw StorageError.corrupt("checkpoint line '\(line)'") }
            return fields
        }
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while let first = s.first, first == " " || first == "\t" { s.removeFirst() }
        while let last = s.last, last == " " || last == "\t" { s.removeLast() }
        return s
    }
}

/// A per-log-directory offset checkpoint: `topic partition offset` per line.
public enum OffsetCheckpointFile {
    public static let recoveryPoint = "recovery-point-offset-checkpoint"
    public static let logStartOffset = "log-start-offset-checkpoint"
    public static let replicationOffset = "replication-offset-checkpoint"
    public static let cleanerOffset = "cleaner-offset-checkpoint"

    /// Text of a checkpoint, entries sorted for stable output.
    public static func format(_ offsets: [TopicPartition: Int64]) -> String {
        CheckpointText.format(offsets.sorted { $0.key < $1.key }.map { [$0.key.topic, String($0.key.partition), String($0.value)] })
    }

    /// Parses checkpoint text. Topic names cannot contain spaces, so splitting on spaces is exact.
    public static func parse(_ text: String) throws -> [TopicPartition: Int64] {
        var result: [TopicPartition: Int64] = [:]
        for fields in try CheckpointText.parse(text, fieldCount: 3) {
            guard let partition = Int32(fields[1]), let offset = Int64(fields[2]) else {
                throw StorageError.corrupt("checkpoint entry \(fields.joined(separator: " "))")
            }
            result[TopicPartition(String(fields[0]), partition)] = offset
        }
        return result
    }

    /// Reads a checkpoint; a missing file is empty.
    public static func read(_ path: String, fileSystem: any FileSystem) throws -> [TopicPartition: Int64] {
        guard fileSystem.exists(path) else { return [:] }
        return try parse(try fileSystem.readText(path))
    }

    /// Writes a checkpoint crash-safely (tmp, fsync, rename, fsync directory).
    public static func write(_ offsets: [TopicPartition: Int64], to path: String, fileSystem: any FileSystem) throws {
        try fileSystem.writeAtomically(path, text: format(offsets))
    }
}
