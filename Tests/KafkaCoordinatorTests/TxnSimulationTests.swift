import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaCoordinator

/// A simulated data partition: the transactional batches not yet decided, per producer id, and the producer
/// epochs it has seen (data and markers fence older epochs, as a partition leader does).
struct SimTxnPartition {
    struct Batch { var instance: Int; var epoch: Int16; var txn: Int }
    var epochs: [Int64: Int16] = [:]
    var pending: [Int64: [Batch]] = [:]
    var visible: [Batch] = []
}

/// One producer instance (a process with a transactional id). Newer instances of the same id fence older ones.
struct SimTxnProducer {
    enum Phase: Equatable { case needsInit, idle, inTxn(Int), fenced }
    var txnId: String
    var instance: Int
    var pid: Int64 = -1
    var epoch: Int16 = -1
    var phase = Phase.needsInit
    var timeoutMs: Int32
    var added: Set<Int32> = []
}

/// Markers of one request on their way to the partitions.
struct SimDelivery {
    var request: MarkerRequest
    var readyAt: [TxnPartition: Int64]
}

/// The simulated world: a coordinator driver (log, timers, marker deliveries with delays, restarts) and producers.
struct TxnWorld {
    var rng: SimRandom
    var config = TransactionCoordinatorConfig()
    var shard: TransactionCoordinatorShard
    var coordinatorEpoch: Int32 = 0
    var log: [(key: ByteBuffer, value: ByteBuffer?)] = []
    var timers: [TxnTimerKey: Int64] = [:]
    var now: Int64 = 0
    var nextBlock: Int64 = 0
    var nextRequestId: UInt64 = 1
    var deliveries: [SimDelivery] = []
    var partitions: [TxnPartition: SimTxnPartition] = [:]
    var producers: [SimTxnProducer] = []
    var nextInstance = 0
    var nextTxn = 0
    /// Transactions the client committed with an accepted EndTxn.
    var clientCommitted: Set<Int> = []
    /// Decisions seen on partitions, per simulated transaction.
    var outcomes: [Int: TransactionResult] = [:]
    /// The PREPARE in progress per transactional id and the partitions its markers reached since.
    var openPrepare: [String: (record: TransactionLogValue, result: TransactionResult, delivered: Set<TxnPartition>)] = [:]
    var violations: [String] = []
    var stats: [String: Int] = [:]

    static let topicPartitions = (0..<6).map { TxnPartition("data", Int32($0)) }
    static let txnIds = ["alpha", "beta", "gamma", "delta"]

    init(seed: UInt64) {
        rng = SimRandom(state: seed)
        shard = TransactionCoordinatorShard(config: config, coordinatorEpoch: 0)
        for p in Self.topicPartitions { partitions[p] = SimTxnPartition() }
        apply(shard.onLoaded(now: now))
    }

    mutating func fail(_ message: String) { violations.append("t=\(now): \(message)") }

    // MARK: driver

    mutating func apply(_ result: TxnResult) {
        for record in result.records {
            let key = try! record.encodeKey()
            let value = try! record.encodeValue()
            log.append((key, value))
            let decoded = try! TransactionLogRecord(key: key, value: value)
            observe(decoded)
            shard.replay(decoded)
        }
        for m in result.markers {
            var ready: [TxnPartition: Int64] = [:]
            for p in m.partitions { ready[p] = now + Int64.random(in: 0...3_000, using: &rng) }
            deliveries.append(SimDelivery(request: m, readyAt: ready))
        }
        for t in result.timers {
            switch t {
            case .schedule(let key, let deadline): timers[key] = deadline
            case .cancel(let key): timers[key] = nil
            }
        }
        if result.needsProducerIds {
            let block = nextBlock..<(nextBlock + 50)
            nextBlock += 50
            apply(shard.handle(.producerIdsAllocated(block), now: now))
        }
    }

    /// Watches the coordinator's log: a COMPLETE record must follow markers on every partition of its PREPARE.
    mutating func observe(_ record: TransactionLogRecord) {
        guard let v = record.value, let state = TransactionState(rawValue: v.transactionStatus) else { return }
        let id = record.transactionalId
        switch state {
        case .prepareCommit, .prepareAbort:
            openPrepare[id] = (v, state == .prepareCommit ? .commit : .abort, [])
        case .completeCommit, .completeAbort:
            guard let open = openPrepare.removeValue(forKey: id) else { return fail("\(id) completed without a prepare") }
            let result: TransactionResult = state == .completeCommit ? .commit : .abort
            if result != open.result { fail("\(id) prepared \(open.result) but completed \(result)") }
            let parts = Set((open.record.transactionPartitions ?? []).flatMap { t in t.partitionIds.map { TxnPartition(t.topic, $0) } })
            if !parts.isSubset(of: open.delivered) {
                fail("\(id) completed \(result) before markers reached \(parts.subtracting(open.delivered).sorted())")
            }
            stats[result == .commit ? "committed" : "aborted", default: 0] += 1
        default:
            if openPrepare[id] != nil { fail("\(id) left its prepare without completing") }
        }
    }

    mutating func request(_ make: (RequestContext) -> TxnEvent, version: Int16) -> TxnResponse? {
        let id = nextRequestId
        nextRequestId += 1
        let result = shard.handle(make(RequestContext(requestId: id, apiVersion: version)), now: now)
        apply(result)
        return result.reply(to: id)
    }

    mutating func advance(by ms: Int64) {
        let target = now + ms
        while let (key, deadline) = timers.filter({ $0.value <= target }).min(by: { ($0.value, "\($0.key)") < ($1.value, "\($1.key)") }) {
            timers[key] = nil
            now = max(now, deadline)
            apply(shard.handle(.timerFired(key), now: now))
        }
        now = target
    }

    mutating func restartCoordinator() {
        coordinatorEpoch += 1
        shard = TransactionCoordinatorShard(config: config, coordinatorEpoch: coordinatorEpoch)
        for (key, value) in log { shard.replay(try! TransactionLogRecord(key: key, value: value)) }
        // The old coordinator's marker sends die with it (Kafka removes them on resignation).
        deliveries = []
        timers = [:]
        apply(shard.onLoaded(now: now))
        stats["restarts", default: 0] += 1
    }

    /// Delivers one due marker to one partition; reports the request once all its partitions have it.
    mutating func deliverOneMarker() {
        guard let i = deliveries.indices.first(where: { d in deliveries[d].readyAt.values.contains { $0 <= now } }) else { return }
        let (p, _) = deliveries[i].readyAt.filter { $0.value <= now }.min { $0.key < $1.key }!
        deliveries[i].readyAt[p] = nil
        let m = deliveries[i].request
        writeMarker(m, to: p)
        if deliveries[i].readyAt.isEmpty {
            deliveries.remove(at: i)
            apply(shard.handle(.markersWritten(transactionalId: m.transactionalId, producerId: m.producerId,
                                               producerEpoch: m.producerEpoch, result: m.result), now: now))
        }
    }

    /// A partition leader applying a control batch: it decides every pending batch of the producer id.
    mutating func writeMarker(_ m: MarkerRequest, to p: TxnPartition) {
        var part = partitions[p]!
        if let known = part.epochs[m.producerId], m.producerEpoch < known {
            fail("marker epoch \(m.producerEpoch) below \(known) for pid \(m.producerId) on \(p)")
        }
        part.epochs[m.producerId] = max(part.epochs[m.producerId] ?? -1, m.producerEpoch)
        let batches = part.pending.removeValue(forKey: m.producerId) ?? []
        if Set(batches.map(\.txn)).count > 1 { fail("batches of several transactions pending together on \(p): \(batches.map(\.txn))") }
        for b in batches {
            if let earlier = outcomes[b.txn], earlier != m.result { fail("transaction \(b.txn) both committed and aborted (\(p))") }
            outcomes[b.txn] = m.result
            if m.result == .commit {
                if !clientCommitted.contains(b.txn) { fail("transaction \(b.txn) committed on \(p) without its producer committing") }
                if b.epoch != m.producerEpoch { fail("fenced write (epoch \(b.epoch)) of transaction \(b.txn) visible on \(p)") }
                part.visible.append(b)
            } else if clientCommitted.contains(b.txn) {
                fail("transaction \(b.txn) aborted on \(p) after its commit was accepted")
            }
        }
        partitions[p] = part
        if var open = openPrepare[m.transactionalId], open.record.producerId == m.producerId,
            open.record.producerEpoch == m.producerEpoch, open.result == m.result
        {
            open.delivered.insert(p)
            openPrepare[m.transactionalId] = open
        }
    }

    // MARK: producers

    mutating func startProducer() {
        let txnId = Self.txnIds.randomElement(using: &rng)!
        producers.append(SimTxnProducer(txnId: txnId, instance: nextInstance, timeoutMs: Int32.random(in: 3_000...20_000, using: &rng)))
        nextInstance += 1
    }

    mutating func step(_ i: Int) {
        var p = producers[i]
        defer { producers[i] = p }
        switch p.phase {
        case .fenced:
            // A zombie keeps trying to write to partitions it had added: the write must not land (or never count).
            if let part = p.added.randomElement(using: &rng) { produce(&p, Self.topicPartitions[Int(part)], txn: -1) }
        case .needsInit:
            var r = InitProducerIdRequest()
            r.transactionalId = p.txnId
            r.transactionTimeoutMs = p.timeoutMs
            if p.pid >= 0 { r.producerId = p.pid; r.producerEpoch = p.epoch }
            guard case .initProducerId(let resp)? = request({ .initProducerId($0, r) }, version: 4) else { return fail("no init reply") }
            switch KafkaError(rawValue: resp.errorCode) {
            case .none?:
                p.pid = resp.producerId
                p.epoch = resp.producerEpoch
                p.phase = .idle
                p.added = []
                // Older instances of this id are fenced now (they learn it from their next request).
                for j in producers.indices where j != i && producers[j].txnId == p.txnId && producers[j].phase != .fenced {
                    producers[j].phase = .fenced
                }
            case .concurrentTransactions?, .coordinatorLoadInProgress?: break
            case .producerFenced?: p.phase = .fenced
            default: fail("init got \(resp.errorCode)")
            }
        case .idle, .inTxn:
            let roll = Int.random(in: 0..<10, using: &rng)
            if case .inTxn(let txn) = p.phase, roll >= 7 {
                endTxn(&p, txn: txn, commit: roll != 9)
            } else {
                let tp = Self.topicPartitions.randomElement(using: &rng)!
                let err = requestAdd(p, tp)
                switch KafkaError(rawValue: err) {
                case .none?:
                    let txn: Int
                    if case .inTxn(let t) = p.phase { txn = t } else { txn = nextTxn; nextTxn += 1; p.phase = .inTxn(txn) }
                    p.added.insert(tp.partition)
                    produce(&p, tp, txn: txn)
                case .concurrentTransactions?: break
                case .producerFenced?, .invalidProducerEpoch?, .invalidProducerIdMapping?: p.phase = .fenced
                default: fail("add got \(err)")
                }
            }
        }
    }

    func addRequest(_ p: SimTxnProducer, _ tp: TxnPartition) -> AddPartitionsToTxnRequest {
        var r = AddPartitionsToTxnRequest()
        r.v3AndBelowTransactionalId = p.txnId
        r.v3AndBelowProducerId = p.pid
        r.v3AndBelowProducerEpoch = p.epoch
        var t = AddPartitionsToTxnRequest.AddPartitionsToTxnTopic()
        t.name = tp.topic
        t.partitions = [tp.partition]
        r.v3AndBelowTopics = [t]
        return r
    }

    mutating func requestAdd(_ p: SimTxnProducer, _ tp: TxnPartition) -> Int16 {
        let r = addRequest(p, tp)
        return request({ .addPartitionsToTxn($0, r) }, version: 3)?.errorCode ?? -100
    }

    /// A transactional write: the leader verifies it with the coordinator (KIP-890 part 1) and checks the epoch.
    mutating func produce(_ p: inout SimTxnProducer, _ tp: TxnPartition, txn: Int) {
        var t = AddPartitionsToTxnRequest.AddPartitionsToTxnTransaction()
        t.transactionalId = p.txnId
        t.producerId = p.pid
        t.producerEpoch = p.epoch
        t.verifyOnly = true
        var topic = AddPartitionsToTxnRequest.AddPartitionsToTxnTopic()
        topic.name = tp.topic
        topic.partitions = [tp.partition]
        t.topics = [topic]
        var r = AddPartitionsToTxnRequest()
        r.transactions = [t]
        let err = request({ .addPartitionsToTxn($0, r) }, version: 5)?.errorCode ?? -100
        var part = partitions[tp]!
        guard err == 0, (part.epochs[p.pid] ?? -1) <= p.epoch else {
            stats[txn < 0 ? "zombie writes rejected" : "writes rejected", default: 0] += 1
            return
        }
        if txn < 0 { fail("zombie instance \(p.instance) of \(p.txnId) passed verification") ; return }
        part.epochs[p.pid] = p.epoch
        part.pending[p.pid, default: []].append(.init(instance: p.instance, epoch: p.epoch, txn: txn))
        partitions[tp] = part
        stats["writes", default: 0] += 1
    }

    mutating func endTxn(_ p: inout SimTxnProducer, txn: Int, commit: Bool) {
        var r = EndTxnRequest()
        r.transactionalId = p.txnId
        r.producerId = p.pid
        r.producerEpoch = p.epoch
        r.committed = commit
        let err = request({ .endTxn($0, r) }, version: 3)?.errorCode ?? -100
        switch KafkaError(rawValue: err) {
        case .none?:
            if commit { clientCommitted.insert(txn) }
            p.phase = .idle
            p.added = []
        case .concurrentTransactions?: break
        case .producerFenced?, .invalidProducerEpoch?: p.phase = .fenced
        default: fail("end got \(err)")
        }
    }

    // MARK: the run

    mutating func randomStep() {
        let live = producers.indices.filter { producers[$0].phase != .fenced }
        let roll = Int.random(in: 0..<100, using: &rng)
        switch roll {
        case 0..<6: if live.count < 6 { startProducer() }
        case 6..<50:
            if let i = (roll < 45 ? live : Array(producers.indices)).randomElement(using: &rng) { step(i) }
        case 50..<75: deliverOneMarker()
        case 75..<92: advance(by: Int64.random(in: 0...2_500, using: &rng))
        case 92..<95: restartCoordinator()
        default:
            // Fenced instances that are not zombies restart: a new instance with KIP-360 re-init or a fresh one.
            if let i = producers.indices.filter({ producers[$0].phase == .fenced }).randomElement(using: &rng) {
                producers[i].phase = .needsInit
                producers.append(producers[i])
                producers[i].phase = .fenced
                producers[producers.count - 1].instance = nextInstance
                nextInstance += 1
                // Half re-initialize with their old id and epoch (KIP-360), half start afresh.
                if Bool.random(using: &rng) { producers[producers.count - 1].pid = -1; producers[producers.count - 1].epoch = -1 }
            }
        }
    }

    /// Stop the producers, let every marker arrive and every timeout fire; nothing may be left undecided.
    mutating func drain() {
        for _ in 0..<6 {
            advance(by: 30_000)
            while !deliveries.isEmpty {
                advance(by: 3_000)
                while deliveries.contains(where: { d in d.readyAt.values.contains { $0 <= now } }) { deliverOneMarker() }
            }
        }
        for (id, meta) in shard.transactions where meta.state.isPrepare || meta.state == .ongoing {
            fail("\(id) still \(meta.state) after draining")
        }
        for (tp, part) in partitions where part.pending.values.contains(where: { !$0.isEmpty }) {
            fail("undecided batches on \(tp): \(part.pending.values.flatMap { $0.map(\.txn) })")
        }
        if !openPrepare.isEmpty { fail("prepares never completed: \(openPrepare.keys.sorted())") }
    }
}

@Suite struct TxnSimulationTests {
    static let seeds: [UInt64] = Array(1...24).map { UInt64($0) &* 0x5DEE_CE66D }

    @Test(arguments: seeds) func seededRun(seed: UInt64) {
        var world = TxnWorld(seed: seed)
        for _ in 0..<4 { world.startProducer() }
        for stepIndex in 0..<400 {
            world.randomStep()
            if !world.violations.isEmpty {
                Issue.record("seed \(seed) step \(stepIndex): \(world.violations.joined(separator: "; "))")
                return
            }
        }
        world.drain()
        if !world.violations.isEmpty {
            Issue.record("seed \(seed) drain: \(world.violations.joined(separator: "; "))")
        }
        #expect((world.stats["committed"] ?? 0) + (world.stats["aborted"] ?? 0) > 0, "seed \(seed) completed nothing")
        print("txn sim seed \(seed): \(world.stats.sorted { $0.key < $1.key })")
    }
}
