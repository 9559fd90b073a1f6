import KafkaProtocol

/// The transaction coordinator for one `__transaction_state` partition: a pure state machine.
///
/// `handle(_:now:)` turns a request, a timer or a driver report into records, replies, marker requests and timer
/// actions (see `TxnResult` for what the driver does with them). Transaction metadata changes only in
/// `replay(_:)`, which is also how a new leader of the partition loads it (then `onLoaded(now:)`).
///
/// Because the driver replays a result's records before the next event, a transition is never "pending" the way
/// Kafka's asynchronous appends are: the states between a PREPARE record and its COMPLETE record
/// (PrepareCommit/PrepareAbort, while markers are written) are where concurrent requests get
/// CONCURRENT_TRANSACTIONS. This follows the transaction.version 1 protocol (Kafka 3.x); EndTxn v5 is answered
/// without the KIP-890 part 2 epoch bump, so the broker must not advertise transaction.version 2.
public struct TransactionCoordinatorShard: Sendable {
    public let config: TransactionCoordinatorConfig
    /// The leader epoch of this shard's `__transaction_state` partition; markers carry it.
    public let coordinatorEpoch: Int32
    /// Metadata per transactional id, as replayed.
    public internal(set) var transactions: [String: TransactionMetadata] = [:]

    /// KIP-360 retry bookkeeping for the next record of an id (in-memory in Kafka too): replay takes it.
    var pendingRetryInfo: [String: (producerId: Int64, epoch: Int16)] = [:]
    /// Groups added by AddOffsetsToTxn to the transaction in progress, since this shard was loaded (in memory only).
    var groupsByTransaction: [String: Set<String>] = [:]
    /// Producer ids handed out by the controller and not used yet.
    var producerIds: Range<Int64> = 0..<0
    var producerIdsRequested = false
    var timerDeadlines: [TxnTimerKey: Int64] = [:]

    var out = TxnResult()
    var now: Int64 = 0

    /// - Parameters:
    ///   - coordinatorEpoch: the partition's leader epoch when this node became its coordinator.
    ///   - producerIds: a first block of producer ids, if the driver has one.
    public init(config: TransactionCoordinatorConfig = TransactionCoordinatorConfig(), coordinatorEpoch: Int32,
                producerIds: Range<Int64> = 0..<0) {
        self.config = config
        self.coordinatorEpoch = coordinatorEpoch
        self.producerIds = producerIds
    }

    /// Handles one event at time `now` (ms, from the driver's clock).
    public mutating func handle(_ event: TxnEvent, now: Int64) -> TxnResult {
        self.now = now
        out = TxnResult()
        switch event {
        case .initProducerId(let ctx, let req): initProducerId(ctx, req)
        case .addPartitionsToTxn(let ctx, let req): addPartitionsToTxn(ctx, req)
        case .addOffsetsToTxn(let ctx, let req): addOffsetsToTxn(ctx, req)
        case .endTxn(let ctx, let req): endTxn(ctx, req)
        case .describeTransactions(let ctx, let req): describeTransactions(ctx, req)
        case .listTransactions(let ctx, let req): listTransactions(ctx, req)
        case .timerFired(let key): timerFired(key)
        case .markersWritten(let id, let pid, let epoch, let result): markersWritten(id, pid, epoch, result)
        case .producerIdsAllocated(let block):
            producerIds = block
            producerIdsRequested = false
        }
        return takeResult()
    }

    /// Called once the partition's records have all been replayed after this node became its coordinator:
    /// re-issues the markers of transactions left between PREPARE and COMPLETE (a crash there is finished here)
    /// and arms the timeout and expiration sweeps.
    public mutating func onLoaded(now: Int64) -> TxnResult {
        self.now = now
        out = TxnResult()
        for id in transactions.keys.sorted() {
            let meta = transactions[id]!
            if meta.state.isPrepare { requestMarkers(meta) }
        }
        schedule(.abortTimedOutTransactions, after: config.abortTimedOutTransactionsIntervalMs)
        schedule(.expireTransactionalIds, after: config.removeExpiredTransactionalIdsIntervalMs)
        if producerIds.count < config.producerIdPrefetchThreshold { askForProducerIds() }
        return takeResult()
    }

    // MARK: - Replay

    /// Applies one record of the partition: the only way transaction metadata changes.
    public mutating func replay(_ record: TransactionLogRecord) {
        let id = record.transactionalId
        guard let value = record.value else {
            transactions[id] = nil
            pendingRetryInfo[id] = nil
            groupsByTransaction[id] = nil
            return
        }
        var meta = TransactionMetadata(transactionalId: id, value: value)
        if let retry = pendingRetryInfo.removeValue(forKey: id) {
            (meta.lastProducerId, meta.lastProducerEpoch) = retry
        } else if let old = transactions[id], old.producerId == meta.producerId {
            // Not an InitProducerId transition: Kafka carries the retry bookkeeping through.
            meta.lastProducerId = old.lastProducerId
            meta.lastProducerEpoch = old.lastProducerEpoch
        }
        if !meta.state.isPrepare && meta.state != .ongoing { groupsByTransaction[id] = nil }
        transactions[id] = meta
    }

    // MARK: - Inspection

    /// Deadline of a timer the shard currently expects.
    public func timerDeadline(_ key: TxnTimerKey) -> Int64? { timerDeadlines[key] }

    // MARK: - Effects

    mutating func takeResult() -> TxnResult {
        let result = out
        out = TxnResult()
        return result
    }

    /// Writes the new metadata of an id; `retry` is the KIP-360 bookkeeping an InitProducerId transition sets.
    mutating func write(_ meta: TransactionMetadata, retry: (producerId: Int64, epoch: Int16)? = nil) {
        if let old = transactions[meta.transactionalId] {
            precondition(meta.state.validPreviousStates.contains(old.state), "illegal transition \(old.state) -> \(meta.state)")
        }
        if let retry { pendingRetryInfo[meta.transactionalId] = retry }
        out.records.append(TransactionLogRecord(transactionalId: meta.transactionalId, value: meta.logValue()))
    }

    mutating func requestMarkers(_ meta: TransactionMetadata) {
        out.markers.append(MarkerRequest(
            transactionalId: meta.transactionalId, producerId: meta.producerId, producerEpoch: meta.producerEpoch,
            coordinatorEpoch: coordinatorEpoch, result: meta.state == .prepareCommit ? .commit : .abort,
            partitions: meta.partitions.sorted(), groupIds: (groupsByTransaction[meta.transactionalId] ?? []).sorted()))
    }

    mutating func reply(_ ctx: RequestContext, _ response: TxnResponse) {
        out.replies.append(TxnReply(requestId: ctx.requestId, apiVersion: ctx.apiVersion, response: response))
    }

    mutating func schedule(_ key: TxnTimerKey, after delayMs: Int64) {
        let deadline = now + max(0, delayMs)
        timerDeadlines[key] = deadline
        out.timers.append(.schedule(key, deadline: deadline))
    }

    /// A fresh producer id from the block, asking the driver for the next block when running low.
    mutating func takeProducerId() -> Int64? {
        guard let id = producerIds.first else {
            askForProducerIds()
            return nil
        }
        producerIds = producerIds.dropFirst()
        if producerIds.count < config.producerIdPrefetchThreshold { askForProducerIds() }
        return id
    }

    private mutating func askForProducerIds() {
        guard !producerIdsRequested else { return }
        producerIdsRequested = true
        out.needsProducerIds = true
    }
}

/// KIP-588: PRODUCER_FENCED exists from these versions on; older clients get INVALID_PRODUCER_EPOCH.
func fencedError(_ error: KafkaError, apiVersion: Int16, firstVersionWithFenced: Int16) -> KafkaError {
    error == .producerFenced && apiVersion < firstVersionWithFenced ? .invalidProducerEpoch : error
}
