import Synchronization

/// A partition log behind a lock, shareable between event loops. Every operation runs under the partition's own
/// lock, so partitions proceed in parallel and one partition's appends are serialised (as Kafka's per-partition
/// lock does).
public final class PartitionHandle: Sendable {
    public let topicPartition: TopicPartition
    private let log: Mutex<PartitionLog>

    init(_ log: consuming sending PartitionLog) {
        self.topicPartition = log.topicPartition
        self.log = Mutex(log)
    }

    /// Runs `body` with the log under the partition lock. Keep it short: no waiting inside (group-commit fsyncs
    /// run outside, see `GroupCommitQueue`).
    public func withLog<Result: Sendable>(_ body: (PartitionLog) throws -> Result) throws -> Result {
        try log.withLock { log in try body(log) }
    }
}
