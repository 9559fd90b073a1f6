import KafkaProtocol

/// An input of the transaction coordinator shard.
///
/// Requests naming several transactional ids (AddPartitionsToTxn v4+, DescribeTransactions) are answered for
/// every id named; the driver splits them per `__transaction_state` partition first and answers NOT_COORDINATOR
/// for ids no local shard owns. ListTransactions is answered with this shard's part; the driver merges the parts.
public enum TxnEvent: Sendable {
    /// InitProducerId with a non-null transactional id (the broker allocates ids for idempotent producers itself).
    case initProducerId(RequestContext, InitProducerIdRequest)
    /// AddPartitionsToTxn: v0-3 from a producer (one transaction); v4+ batched from brokers, possibly verify-only
    /// (KIP-890 part 1). Topics the driver found unknown or unauthorized must be removed first (it answers them).
    case addPartitionsToTxn(RequestContext, AddPartitionsToTxnRequest)
    /// AddOffsetsToTxn: adds the group's `__consumer_offsets` partition to the transaction.
    case addOffsetsToTxn(RequestContext, AddOffsetsToTxnRequest)
    case endTxn(RequestContext, EndTxnRequest)
    case describeTransactions(RequestContext, DescribeTransactionsRequest)
    case listTransactions(RequestContext, ListTransactionsRequest)
    /// A timer the shard scheduled reached its deadline; stale ones are ignored.
    case timerFired(TxnTimerKey)
    /// The driver wrote the markers of a `MarkerRequest` to every one of its partitions (WriteTxnMarkers
    /// answered without error, or the partition is gone): the transaction can be completed.
    case markersWritten(transactionalId: String, producerId: Int64, producerEpoch: Int16, result: TransactionResult)
    /// A block of producer ids from the controller (AllocateProducerIds), asked for by `needsProducerIds`.
    case producerIdsAllocated(Range<Int64>)
}

/// A response body to send, in the API version of its request.
public enum TxnResponse: Sendable {
    case initProducerId(InitProducerIdResponse)
    case addPartitionsToTxn(AddPartitionsToTxnResponse)
    case addOffsetsToTxn(AddOffsetsToTxnResponse)
    case endTxn(EndTxnResponse)
    case describeTransactions(DescribeTransactionsResponse)
    case listTransactions(ListTransactionsResponse)

    /// The top-level (or first partition/transaction) error code; handy in tests and logs.
    public var errorCode: Int16 {
        switch self {
        case .initProducerId(let r): return r.errorCode
        case .addPartitionsToTxn(let r):
            if r.errorCode != 0 { return r.errorCode }
            let parts = r.resultsByTopicV3AndBelow.flatMap(\.resultsByPartition)
                + r.resultsByTransaction.flatMap(\.topicResults).flatMap(\.resultsByPartition)
            return parts.first { $0.partitionErrorCode != 0 }?.partitionErrorCode ?? 0
        case .addOffsetsToTxn(let r): return r.errorCode
        case .endTxn(let r): return r.errorCode
        case .describeTransactions(let r): return r.transactionStates.first { $0.errorCode != 0 }?.errorCode ?? 0
        case .listTransactions(let r): return r.errorCode
        }
    }
}

/// A timer of the transaction coordinator. One deadline per key.
public enum TxnTimerKey: Sendable, Hashable {
    /// The periodic sweep aborting transactions open longer than their timeout.
    case abortTimedOutTransactions
    /// The periodic sweep removing transactional ids idle longer than `transactional.id.expiration.ms`.
    case expireTransactionalIds
}

/// What the driver must do with a timer.
public enum TxnTimerAction: Sendable, Hashable {
    /// Deliver `.timerFired(key)` once the clock reaches `deadline` (ms); replaces an earlier deadline.
    case schedule(TxnTimerKey, deadline: Int64)
    /// Forget the timer.
    case cancel(TxnTimerKey)
}

/// Markers to write: a WriteTxnMarkers entry for every partition, sent to each partition's leader.
///
/// The driver retries each partition until it is written (or its topic is gone), then feeds
/// `.markersWritten(transactionalId:producerId:producerEpoch:result:)` back. Markers for
/// `__consumer_offsets-N` partitions complete the transactional offset commits of `producerId` on that partition
/// (the group coordinator of N applies them); `groupIds` names the groups of AddOffsetsToTxn when this shard saw
/// them, which it may not after a reload — the partitions are the authority.
public struct MarkerRequest: Sendable, Hashable {
    public var transactionalId: String
    public var producerId: Int64
    /// The epoch the markers carry; after fencing it is the bumped epoch, so partitions fence the old producer.
    public var producerEpoch: Int16
    /// The shard's coordinator epoch (leader epoch of its `__transaction_state` partition), for WriteTxnMarkers.
    public var coordinatorEpoch: Int32
    public var result: TransactionResult
    /// Every partition of the transaction, sorted.
    public var partitions: [TxnPartition]
    /// Groups whose transactional offsets the markers make visible (commit) or discard (abort), when known.
    public var groupIds: [String]
}

/// A response addressed to the request that asked for it.
public struct TxnReply: Sendable {
    public var requestId: UInt64
    public var apiVersion: Int16
    public var response: TxnResponse
}

/// The outcome of one event.
///
/// The driver must: (1) append `records` to the shard's `__transaction_state` partition (in order, one batch);
/// (2) `replay` each into the shard before giving it the next event; (3) once the records are committed (at once
/// when there are none) send `replies` and start writing the `markers`; (4) apply `timers` in order; (5) when
/// `needsProducerIds`, obtain a block from the controller and feed `.producerIdsAllocated`. If the append fails
/// the shard is stale: drop it and load the partition again.
public struct TxnResult: Sendable {
    public var records: [TransactionLogRecord] = []
    public var replies: [TxnReply] = []
    public var markers: [MarkerRequest] = []
    public var timers: [TxnTimerAction] = []
    public var needsProducerIds = false

    public init() {}

    /// The reply to one request id, if this result holds it.
    public func reply(to requestId: UInt64) -> TxnResponse? {
        replies.first { $0.requestId == requestId }?.response
    }
}
