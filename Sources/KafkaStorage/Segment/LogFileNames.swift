/// Kafka's file names inside a partition directory: the base offset as 20 zero-padded decimal digits plus a
/// suffix (`00000000000000001234.log`).
public enum LogFileNames {
    public static let logSuffix = ".log"
    public static let indexSuffix = ".index"
    public static let timeIndexSuffix = ".timeindex"
    public static let transactionIndexSuffix = ".txnindex"
    public static let snapshotSuffix = ".snapshot"
    /// Appended to a segment file name while the cleaner writes its replacement.
    public static let cleanedSuffix = ".cleaned"
    /// Appended to a cleaned segment's file names once it is complete and durable: recovery finishes the swap.
    public static let swapSuffix = ".swap"
    /// Appended to a replaced segment's file names at the swap; the cleaner removes them right after, off the
    /// partition lock, and open removes any left.
    public static let deletedSuffix = ".deleted"
    /// The files of one segment.
    public static let segmentSuffixes = [logSuffix, indexSuffix, timeIndexSuffix, transactionIndexSuffix]
    /// Suffixes of files left mid-operation (cleaning, swapping, asynchronous deletion, atomic writes). Open first
    /// finishes or undoes an interrupted cleaner swap (`.cleaned`, `.swap`), then removes whatever is left.
    public static let transientSuffixes = [".deleted", ".cleaned", ".swap", ".tmp"]

    /// `offset` as 20 zero-padded digits.
    public static func formatOffset(_ offset: Int64) -> String {
        let digits = String(offset)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    /// `<20 digits><suffix>`.
    public static func fileName(_ offset: Int64, _ suffix: String) -> String { formatOffset(offset) + suffix }

    /// The offset and suffix of a name such as `00000000000000001234.log`, nil for other names.
    public static func parse(_ name: String) -> (offset: Int64, suffix: String)? {
        guard let dot = name.firstIndex(of: "."), name.distance(from: name.startIndex, to: dot) == 20,
              let offset = Int64(name[..<dot]), offset >= 0
        else { return nil }
        return (offset, String(name[dot...]))
    }
}

/// A topic name and partition number, the key of a partition log (Kafka's TopicPartition).
public struct TopicPartition: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    /// Parses a partition directory name `<topic>-<partition>`; nil for names that are not one, including the
    /// `-delete`, `-future` and `-stray` directories of partitions being moved or removed.
    public init?(directoryName name: String) {
        guard let dash = name.lastIndex(of: "-"), dash != name.startIndex,
              let partition = Int32(name[name.index(after: dash)...]), partition >= 0
        else { return nil }
        self.topic = String(name[..<dash])
        self.partition = partition
    }

    /// The directory name, `<topic>-<partition>`.
    public var directoryName: String { "\(topic)-\(partition)" }

    public var description: String { directoryName }

    public static func < (a: TopicPartition, b: TopicPartition) -> Bool {
        (a.topic, a.partition) < (b.topic, b.partition)
    }
}
