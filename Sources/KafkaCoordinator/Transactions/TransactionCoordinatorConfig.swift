/// The broker settings the transaction coordinator reads, with Kafka's names and defaults.
public struct TransactionCoordinatorConfig: Sendable, Hashable {
    /// `transaction.max.timeout.ms`: InitProducerId asking for more gets INVALID_TRANSACTION_TIMEOUT.
    public var maxTransactionTimeoutMs: Int32 = 900_000
    /// `transaction.abort.timed.out.transaction.cleanup.interval.ms`: period of the sweep that aborts
    /// transactions open longer than their timeout.
    public var abortTimedOutTransactionsIntervalMs: Int64 = 10_000
    /// `transactional.id.expiration.ms` (7 days): a transactional id with no transaction in progress and no
    /// update for this long is removed (tombstoned).
    public var transactionalIdExpirationMs: Int64 = 604_800_000
    /// `transaction.remove.expired.transaction.cleanup.interval.ms`: period of the expiration sweep.
    public var removeExpiredTransactionalIdsIntervalMs: Int64 = 3_600_000
    /// `offsets.topic.num.partitions`: AddOffsetsToTxn adds the group's `__consumer_offsets` partition to the
    /// transaction, which needs the partition count to place the group.
    public var offsetsTopicPartitionCount: Int32 = 50
    /// Ask the driver for a new producer id block when fewer than this many ids remain (Kafka prefetches at 90%
    /// of a 1000-id block).
    public var producerIdPrefetchThreshold: Int64 = 100

    public init() {}
}

/// The partition of `__consumer_offsets` a group maps to, as Kafka places it: `Utils.abs` of Java's
/// `String.hashCode` (over UTF-16 code units) modulo the partition count.
public func offsetsPartition(forGroup groupId: String, partitionCount: Int32) -> Int32 {
    var h: Int32 = 0
    for unit in groupId.utf16 { h = h &* 31 &+ Int32(unit) }
    let positive = h == Int32.min ? 0 : abs(h)
    return positive % max(partitionCount, 1)
}
