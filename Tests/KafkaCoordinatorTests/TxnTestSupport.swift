import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaCoordinator

/// A minimal in-memory driver of the transaction coordinator: round-trips every record through the byte codec
/// into a log and replays it, keeps timers, collects replies and marker requests, feeds producer id blocks, and
/// can restart the shard from its own log.
struct TxnHarness {
    var shard: TransactionCoordinatorShard
    let config: TransactionCoordinatorConfig
    var now: Int64 = 0
    var coordinatorEpoch: Int32 = 0
    var timers: [TxnTimerKey: Int64] = [:]
    var log: [(key: ByteBuffer, value: ByteBuffer?)] = []
    var replies: [UInt64: TxnResponse] = [:]
    /// Marker requests not yet delivered.
    var markers: [MarkerRequest] = []
    var nextRequestId: UInt64 = 1
    var nextPidBlock: Int64 = 1_000
    var blockSize: Int64 = 1_000
    /// When false, producer id requests are left unanswered (to test the empty pool).
    var feedProducerIds = true

    init(config: TransactionCoordinatorConfig = TransactionCoordinatorConfig(), initialBlock: Bool = true,
         feedProducerIds: Bool = true) {
        self.config = config
        self.feedProducerIds = feedProducerIds
        shard = TransactionCoordinatorShard(config: config, coordinatorEpoch: 0)
        if initialBlock { apply(shard.handle(.producerIdsAllocated(takeBlock()), now: now)) }
        apply(shard.onLoaded(now: now))
    }

    mutating func takeBlock() -> Range<Int64> {
        defer { nextPidBlock += blockSize }
        return nextPidBlock..<(nextPidBlock + blockSize)
    }

    @discardableResult
    mutating func apply(_ result: TxnResult) -> TxnResult {
        for record in result.records {
            let key = try! record.encodeKey()
            let value = try! record.encodeValue()
            log.append((key, value))
            shard.replay(try! TransactionLogRecord(key: key, value: value))
        }
        for r in result.replies {
            #expect(replies[r.requestId] == nil, "two replies to request \(r.requestId)")
            replies[r.requestId] = r.response
        }
        markers.append(contentsOf: result.markers)
        for t in result.timers {
            switch t {
            case .schedule(let key, let deadline): timers[key] = deadline
            case .cancel(let key): timers[key] = nil
            }
        }
        if result.needsProducerIds && feedProducerIds {
            apply(shard.handle(.producerIdsAllocated(takeBlock()), now: now))
        }
        return result
    }

    @discardableResult
    mutating func send(_ make: (RequestContext) -> TxnEvent, version: Int16) -> UInt64 {
        let id = nextRequestId
        nextRequestId += 1
        apply(shard.handle(make(RequestContext(requestId: id, apiVersion: version, clientId: "producer")), now: now))
        return id
    }

    mutating func take(_ id: UInt64) -> TxnResponse? { replies.removeValue(forKey: id) }

    /// Advances the clock, firing due timers in deadline order.
    mutating func advance(by ms: Int64) {
        let target = now + ms
        while let (key, deadline) = timers.filter({ $0.value <= target }).min(by: { ($0.value, "\($0.key)") < ($1.value, "\($1.key)") }) {
            timers[key] = nil
            now = max(now, deadline)
            apply(shard.handle(.timerFired(key), now: now))
        }
        now = target
    }

    /// Reports every outstanding marker request as written.
    mutating func deliverMarkers() {
        let pending = markers
        markers = []
        for m in pending {
            apply(shard.handle(.markersWritten(transactionalId: m.transactionalId, producerId: m.producerId,
                                               producerEpoch: m.producerEpoch, result: m.result), now: now))
        }
    }

    /// A new coordinator (higher epoch) loads the partition from the log; in-flight markers are lost.
    mutating func restart() {
        coordinatorEpoch += 1
        shard = TransactionCoordinatorShard(config: config, coordinatorEpoch: coordinatorEpoch)
        for (key, value) in log { shard.replay(try! TransactionLogRecord(key: key, value: value)) }
        markers = []
        timers = [:]
        apply(shard.onLoaded(now: now))
    }

    var lastRecord: TransactionLogRecord? {
        log.last.map { try! TransactionLogRecord(key: $0.key, value: $0.value) }
    }

    func state(_ id: String) -> TransactionState? { shard.transactions[id]?.state }

    // MARK: typed helpers

    mutating func initPid(_ txnId: String, timeout: Int32 = 60_000, pid: Int64 = -1, epoch: Int16 = -1,
                          version: Int16 = 4) -> InitProducerIdResponse {
        var r = InitProducerIdRequest()
        r.transactionalId = txnId
        r.transactionTimeoutMs = timeout
        r.producerId = pid
        r.producerEpoch = epoch
        let id = send({ .initProducerId($0, r) }, version: version)
        guard case .initProducerId(let resp)? = take(id) else { Issue.record("no InitProducerId reply"); return .init() }
        return resp
    }

    mutating func add(_ txnId: String, _ pid: Int64, _ epoch: Int16, _ partitions: [(String, Int32)],
                      version: Int16 = 3) -> Int16 {
        var r = AddPartitionsToTxnRequest()
        r.v3AndBelowTransactionalId = txnId
        r.v3AndBelowProducerId = pid
        r.v3AndBelowProducerEpoch = epoch
        r.v3AndBelowTopics = topics(partitions)
        let id = send({ .addPartitionsToTxn($0, r) }, version: version)
        return take(id)?.errorCode ?? -100
    }

    /// A v4+ batched request for one transaction; returns the per-partition errors.
    mutating func addBatched(_ txnId: String, _ pid: Int64, _ epoch: Int16, _ partitions: [(String, Int32)],
                             verifyOnly: Bool, version: Int16 = 5) -> [Int16] {
        var t = AddPartitionsToTxnRequest.AddPartitionsToTxnTransaction()
        t.transactionalId = txnId
        t.producerId = pid
        t.producerEpoch = epoch
        t.verifyOnly = verifyOnly
        t.topics = topics(partitions)
        var r = AddPartitionsToTxnRequest()
        r.transactions = [t]
        let id = send({ .addPartitionsToTxn($0, r) }, version: version)
        guard case .addPartitionsToTxn(let resp)? = take(id) else { Issue.record("no reply"); return [] }
        return resp.resultsByTransaction.flatMap(\.topicResults).flatMap(\.resultsByPartition).map(\.partitionErrorCode)
    }

    mutating func addOffsets(_ txnId: String, _ pid: Int64, _ epoch: Int16, group: String, version: Int16 = 3) -> Int16 {
        var r = AddOffsetsToTxnRequest()
        r.transactionalId = txnId
        r.producerId = pid
        r.producerEpoch = epoch
        r.groupId = group
        let id = send({ .addOffsetsToTxn($0, r) }, version: version)
        return take(id)?.errorCode ?? -100
    }

    mutating func end(_ txnId: String, _ pid: Int64, _ epoch: Int16, commit: Bool, version: Int16 = 3) -> Int16 {
        var r = EndTxnRequest()
        r.transactionalId = txnId
        r.producerId = pid
        r.producerEpoch = epoch
        r.committed = commit
        let id = send({ .endTxn($0, r) }, version: version)
        return take(id)?.errorCode ?? -100
    }

    private func topics(_ partitions: [(String, Int32)]) -> [AddPartitionsToTxnRequest.AddPartitionsToTxnTopic] {
        var order: [String] = []
        var parts: [String: [Int32]] = [:]
        for (t, p) in partitions {
            if parts[t] == nil { order.append(t) }
            parts[t, default: []].append(p)
        }
        return order.map { t in
            var topic = AddPartitionsToTxnRequest.AddPartitionsToTxnTopic()
            topic.name = t
            topic.partitions = parts[t]!
            return topic
        }
    }
}
