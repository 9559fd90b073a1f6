import KafkaProtocol

/// What the coordinator knows of one transactional id.
///
/// The persisted fields mirror `TransactionLogValue`; `lastProducerId`/`lastProducerEpoch` are Kafka's in-memory
/// retry bookkeeping for InitProducerId (KIP-360: a producer retrying an epoch bump whose answer it lost gets the
/// same epoch instead of being fenced). Kafka does not persist them either (value version 0), so after a load they
/// are unknown (-1) except `previousProducerId` of a version 1 record.
public struct TransactionMetadata: Sendable, Hashable {
    public var transactionalId: String
    public var producerId: Int64
    public var producerEpoch: Int16
    public var lastProducerId: Int64 = -1
    public var lastProducerEpoch: Int16 = -1
    public var timeoutMs: Int32
    public var state: TransactionState
    /// The partitions of the transaction in progress (or being completed); empty when there is none.
    public var partitions: Set<TxnPartition>
    public var lastUpdateTimestamp: Int64
    /// When the transaction in progress began (its first AddPartitionsToTxn), -1 when there is none.
    public var startTimestamp: Int64
    /// The client's transaction.version (KIP-890), 0 for the classic protocol.
    public var clientTransactionVersion: Int16 = 0

    public init(transactionalId: String, producerId: Int64, producerEpoch: Int16, timeoutMs: Int32,
                state: TransactionState, partitions: Set<TxnPartition> = [], lastUpdateTimestamp: Int64,
                startTimestamp: Int64 = -1) {
        self.transactionalId = transactionalId
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.timeoutMs = timeoutMs
        self.state = state
        self.partitions = partitions
        self.lastUpdateTimestamp = lastUpdateTimestamp
        self.startTimestamp = startTimestamp
    }

    /// Kafka's `isEpochExhausted`: an epoch this high cannot be bumped twice more (once to fence, once to hand
    /// out), so the next InitProducerId rotates to a new producer id.
    public static func isEpochExhausted(_ epoch: Int16) -> Bool { epoch >= Int16.max - 1 }

    /// The record value describing this metadata (partitions grouped by topic, sorted, for stable bytes).
    func logValue() -> TransactionLogValue {
        var v = TransactionLogValue()
        v.producerId = producerId
        v.producerEpoch = producerEpoch
        v.transactionTimeoutMs = timeoutMs
        v.transactionStatus = state.rawValue
        let byTopic = Dictionary(grouping: partitions, by: \.topic)
        v.transactionPartitions = byTopic.keys.sorted().map { topic in
            var p = TransactionLogValue.PartitionsSchema()
            p.topic = topic
            p.partitionIds = byTopic[topic]!.map(\.partition).sorted()
            return p
        }
        v.transactionLastUpdateTimestampMs = lastUpdateTimestamp
        v.transactionStartTimestampMs = startTimestamp
        return v
    }

    /// The metadata a record value describes.
    init(transactionalId: String, value v: TransactionLogValue) {
        self.init(
            transactionalId: transactionalId, producerId: v.producerId, producerEpoch: v.producerEpoch,
            timeoutMs: v.transactionTimeoutMs, state: TransactionState(rawValue: v.transactionStatus) ?? .dead,
            partitions: Set((v.transactionPartitions ?? []).flatMap { t in t.partitionIds.map { TxnPartition(t.topic, $0) } }),
            lastUpdateTimestamp: v.transactionLastUpdateTimestampMs, startTimestamp: v.transactionStartTimestampMs)
        lastProducerId = v.previousProducerId
        clientTransactionVersion = v.clientTransactionVersion
    }
}
