import KafkaCoordinator
import KafkaProtocol
import KafkaStorage
import Logging
import NIOCore

/// Runs one `TransactionCoordinatorShard` (the coordinator of one `__transaction_state` partition): loads it by
/// replaying the partition, serves events one at a time, commits their records before replying, writes the
/// transaction markers the shard asks for into the partitions of the transaction (all local on a single node) and
/// reports them written, fetches producer id blocks from the controller, and runs the shard's timers.
actor TransactionShardDriver {
    let partition: TopicPartition
    private var shard: TransactionCoordinatorShard
    let context: BrokerContext
    private var loaded = false
    private var nextRequestId: UInt64 = 0
    private var waiting: [UInt64: CheckedContinuation<TxnResponse?, Never>] = [:]
    private var timers: [TxnTimerKey: Task<Void, Never>] = [:]
    private var fetchingIds = false
    /// The leadership of the partition this shard loads under; its writes are refused under any other.
    nonisolated let lease: CoordinatorLease
    /// Replaced by a shard of a newer leadership: answers nothing, writes nothing.
    private var unloaded = false

    /// `coordinatorEpoch` is the partition's leader epoch, which the markers carry (Kafka's coordinator epoch).
    init(partition: TopicPartition, config: TransactionCoordinatorConfig, context: BrokerContext, lease: CoordinatorLease,
         coordinatorEpoch: Int32) {
        self.partition = partition
        self.shard = TransactionCoordinatorShard(config: config, coordinatorEpoch: coordinatorEpoch)
        self.context = context
        self.lease = lease
    }

    /// This node's leadership of the partition ended (another shard loads under the new one): timers stop and
    /// waiting requests get no answer.
    func unload() {
        unloaded = true
        for t in timers.values { t.cancel() }
        timers = [:]
        let pending = waiting
        waiting = [:]
        for c in pending.values { c.resume(returning: nil) }
    }

    func request(apiVersion: Int16, clientId: String, clientHost: String,
                 _ makeEvent: @Sendable (KafkaCoordinator.RequestContext) -> TxnEvent) async -> TxnResponse? {
        guard !unloaded else { return nil }
        do { try loadIfNeeded() } catch {
            logLoadFailure(error, partition, context.logger)
            return nil
        }
        nextRequestId += 1
        let ctx = KafkaCoordinator.RequestContext(requestId: nextRequestId, apiVersion: apiVersion, clientId: clientId, clientHost: clientHost)
        let event = makeEvent(ctx)
        return await withCheckedContinuation { (c: CheckedContinuation<TxnResponse?, Never>) in
            waiting[ctx.requestId] = c
            run(event)
        }
    }

    /// Loads the shard now (at start-up), so transactions left in PREPARE get their markers without waiting for a
    /// client to reach this coordinator.
    func load() {
        do { try loadIfNeeded() } catch { logLoadFailure(error, partition, context.logger) }
    }

    private func loadIfNeeded() throws {
        guard !loaded else { return }
        let started = context.clock()
        var count = 0
        try context.replicas.forEachRecord(partition) { key, value in
            guard let key else { return }
            shard.replay(try TransactionLogRecord(key: key, value: value))
            count += 1
        }
        loaded = true
        context.logger.info("loaded the transaction coordinator of \(partition): \(count) records in \(context.clock() - started) ms")
        apply(shard.onLoaded(now: context.clock()), replayed: true)
    }

    private func run(_ event: TxnEvent) {
        apply(shard.handle(event, now: context.clock()), replayed: false)
    }

    private func apply(_ result: TxnResult, replayed: Bool) {
        var failed = false
        var commit: UInt64?
        if !result.records.isEmpty && !replayed {
            do {
                var builder = RecordBatchBuilder()
                let now = context.clock()
                for r in result.records { try builder.append(timestamp: now, key: try r.encodeKey(), value: try r.encodeValue()) }
                commit = try context.replicas.appendInternal(partition, records: try builder.build(), lease: lease,
                                                             commitTimeoutMs: context.config.network.requestTimeoutMs)
                for r in result.records { shard.replay(r) }
            } catch {
                context.logger.error("cannot write to \(partition): \(error)")
                failed = true
            }
        }
        let answers = result.replies.compactMap { reply in
            waiting.removeValue(forKey: reply.requestId).map { ($0, failed ? nil : reply.response) }
        }
        if let commit {
            // Replies and markers wait until the records are committed (acks=all), as Kafka's transaction
            // coordinator writes markers only for a committed PREPARE. A record that timed out is still in the log
            // and may commit; a lost leadership leaves the PREPARE to the next coordinator's load.
            let replicas = context.replicas
            let markers = result.markers
            Task {
                let error = await replicas.awaitAck(commit)
                for (c, response) in answers { c.resume(returning: error == .none ? response : nil) }
                if error == .none || error == .requestTimedOut { self.writeMarkers(markers) }
            }
        } else {
            for (c, response) in answers { c.resume(returning: response) }
            if !failed {
                for marker in result.markers { writeMarkers(marker) }
            }
        }
        for timer in result.timers {
            switch timer {
            case .schedule(let key, let deadline):
                timers[key]?.cancel()
                let delay = max(0, deadline - context.clock())
                timers[key] = Task { [weak self] in
                    try? await Task.sleep(for: .milliseconds(delay))
                    guard !Task.isCancelled else { return }
                    await self?.fire(key)
                }
            case .cancel(let key):
                timers.removeValue(forKey: key)?.cancel()
            }
        }
        if result.needsProducerIds && !fetchingIds {
            fetchingIds = true
            Task { await self.allocateProducerIds() }
        }
    }

    private func fire(_ key: TxnTimerKey) {
        timers[key] = nil
        guard !unloaded else { return }
        run(.timerFired(key))
    }

    private func allocateProducerIds() async {
        let nodeId = context.nodeId
        let epoch = context.image.brokers[nodeId]?.epoch ?? -1
        do {
            let block = try await context.controller.allocateProducerIds(brokerId: nodeId, brokerEpoch: epoch)
            fetchingIds = false
            if block.error.isSuccess {
                run(.producerIdsAllocated(block.firstProducerId..<(block.firstProducerId + Int64(block.count))))
            }
        } catch {
            fetchingIds = false
            context.logger.error("producer id allocation for transactions failed: \(error)")
        }
    }

    /// WriteTxnMarkers: a COMMIT or ABORT control batch appended to every partition of the transaction (the
    /// partition's producer state closes the transaction and, for aborts, indexes it). Partitions this broker
    /// leads are written here; those led by other brokers get a WriteTxnMarkers request (TransactionShardDriver+
    /// RemoteMarkers). The transaction completes once every marker is written.
    private func writeMarkers(_ markers: [MarkerRequest]) {
        guard !unloaded else { return }
        for marker in markers { writeMarkers(marker) }
    }

    private func writeMarkers(_ m: MarkerRequest) {
        let image = context.image
        var local: [TxnPartition] = []
        var remote: [TxnPartition] = []
        for p in m.partitions {
            if let leader = image.leader(of: p.topic, partition: p.partition), leader >= 0, leader != context.nodeId {
                remote.append(p)
            } else {
                local.append(p)
            }
        }
        // Local markers are appended now; those that must replicate are waited for below, and any that failed or
        // did not commit are sent again wherever their partition is led by then.
        var offsetsPartitions: [Int32] = []
        var commits: [(TxnPartition, UInt64)] = []
        var again: [TxnPartition] = []
        for p in local {
            switch appendMarker(m, p) {
            case .written(let commit):
                if let commit { commits.append((p, commit)) }
                if p.topic == GroupCoordinatorService.topic { offsetsPartitions.append(p.partition) }
            case .failed: again.append(p)
            case .gone: break
            }
        }
        let written = TxnEvent.markersWritten(transactionalId: m.transactionalId, producerId: m.producerId, producerEpoch: m.producerEpoch, result: m.result)
        guard !offsetsPartitions.isEmpty || !remote.isEmpty || !commits.isEmpty || !again.isEmpty else { return run(written) }
        // The group shards of the marked __consumer_offsets partitions apply the transaction's offsets before the
        // transaction completes: until then it stays in PREPARE, so the producer's next transaction cannot add
        // offsets (CONCURRENT_TRANSACTIONS) that this marker would wrongly complete. (A remote broker's
        // WriteTxnMarkers handler does the same for its partitions before it answers.)
        let groups = context.groups
        let committed = m.result == .commit
        let replicas = context.replicas
        Task {
            var retry = again
            for (p, commit) in commits where await replicas.awaitAck(commit) != .none { retry.append(p) }
            await self.sendMarkers(m, remote + retry)
            for partition in offsetsPartitions {
                await groups.transactionCompleted(partition: partition, producerId: m.producerId, producerEpoch: m.producerEpoch, committed: committed)
            }
            self.run(written)
        }
    }

    /// What became of a marker appended on this broker.
    enum MarkerAppend {
        /// Appended; with a waiter for its commit when the partition has followers to wait for.
        case written(UInt64?)
        /// Not written (not the leader now, a storage error): try again where the partition is led.
        case failed
        /// The topic is gone: nothing to mark, as Kafka skips partitions that are gone.
        case gone
    }

    /// Appends the marker of `m` to `p` on this broker, as an acks=all write (Kafka's markers wait for the
    /// partition's ISR before the transaction completes).
    func appendMarker(_ m: MarkerRequest, _ p: TxnPartition) -> MarkerAppend {
        let tp = TopicPartition(p.topic, p.partition)
        do {
            let marker = EndTransactionMarker(commit: m.result == .commit, coordinatorEpoch: m.coordinatorEpoch)
            let batch = try RecordBatchBuilder.endTransactionMarker(marker, producerId: m.producerId, producerEpoch: m.producerEpoch, timestamp: context.clock())
            return .written(try context.replicas.appendInternal(tp, records: batch, commitTimeoutMs: context.config.network.requestTimeoutMs))
        } catch StorageError.notFound {
            return .gone
        } catch {
            context.logger.error("cannot write the \(m.result) marker of \(m.transactionalId) to \(tp): \(error)")
            return .failed
        }
    }

}

/// The transaction coordinator of this node: one shard driver per `__transaction_state` partition, the topic created
/// on first use, transactional ids mapped to partitions as Kafka maps them.
public final class TransactionCoordinatorService: Sendable {
    public static let topic = "__transaction_state"
    private let shards = SendableBox<[Int32: TransactionShardDriver]>([:])
    let settings: TransactionSettings

    init(settings: TransactionSettings) { self.settings = settings }

    func ensureTopic(_ context: BrokerContext) async throws -> Int32 {
        if let t = context.image.topic(named: Self.topic) { return Int32(t.partitions.count) }
        let spec = CreateTopicSpecFactory.internalTopic(
            Self.topic, partitions: settings.stateLogNumPartitions, replicationFactor: settings.stateLogReplicationFactor,
            configs: [("cleanup.policy", "compact"), ("compression.type", "uncompressed"),
                      ("min.insync.replicas", String(settings.stateLogMinIsr)), ("segment.bytes", String(settings.stateLogSegmentBytes))])
        let results = try await context.controller.createTopics([spec])
        if let r = results.first, r.error.isFailure, r.error.error != .topicAlreadyExists { throw r.error }
        return Int32(context.image.topic(named: Self.topic)?.partitions.count ?? Int(settings.stateLogNumPartitions))
    }

    /// The broker that coordinates `transactionalId` when it is not this one (the leader of its partition of
    /// `__transaction_state`); nil when it is this broker, or the topic or its leader is not known yet.
    func remoteCoordinator(of transactionalId: String, _ context: BrokerContext) -> Int32? {
        let image = context.image
        guard let topic = image.topic(named: Self.topic) else { return nil }
        let index = GroupCoordinatorService.partition(for: transactionalId, partitions: Int32(topic.partitions.count))
        guard let leader = image.leader(of: Self.topic, partition: index), leader >= 0, leader != context.nodeId else { return nil }
        return leader
    }

    func shard(for transactionalId: String, _ context: BrokerContext) async throws -> TransactionShardDriver {
        let partitions = try await ensureTopic(context)
        let index = GroupCoordinatorService.partition(for: transactionalId, partitions: partitions)
        // Another broker leads this partition: its coordinator is there (FindCoordinator names it).
        if let leader = context.image.leader(of: Self.topic, partition: index), leader != context.nodeId {
            throw KafkaError.notCoordinator
        }
        return shard(index: index, context)
    }

    /// Loads every shard of an existing `__transaction_state` (start-up recovery of unfinished transactions).
    func loadExisting(_ context: BrokerContext) async {
        guard let topic = context.image.topic(named: Self.topic) else { return }
        // Only the partitions this broker leads: the others' coordinators run where they are led.
        for (index, partition) in topic.partitions.sorted(by: { $0.key < $1.key }) where partition.leader == context.nodeId {
            await shard(index: index, context).load()
        }
    }

    /// Every shard (ListTransactions asks them all).
    func allShards(_ context: BrokerContext) async throws -> [TransactionShardDriver] {
        let partitions = try await ensureTopic(context)
        // The shards of the partitions this broker leads (all of them on a single node).
        let image = context.image
        return (0..<partitions).filter { (image.leader(of: Self.topic, partition: $0) ?? context.nodeId) == context.nodeId }
            .map { shard(index: $0, context) }
    }

    /// The shard of `__transaction_state-<index>` under this node's current leadership of it; one loaded under an
    /// earlier leadership is unloaded and a fresh one loads from the log (see `GroupCoordinatorService.shard`).
    private func shard(index: Int32, _ context: BrokerContext) -> TransactionShardDriver {
        let tp = TopicPartition(Self.topic, index)
        let lease = context.replicas.roles.lease(tp)
        let epoch = max(0, context.image.topic(named: Self.topic)?.partitions[index]?.leaderEpoch ?? 0)
        let (driver, stale) = shards.withLock { s -> (TransactionShardDriver, TransactionShardDriver?) in
            if let d = s[index], d.lease == lease { return (d, nil) }
            var config = TransactionCoordinatorConfig()
            config.maxTransactionTimeoutMs = settings.maxTimeoutMs
            config.transactionalIdExpirationMs = Int64(settings.transactionalIdExpirationMs)
            config.offsetsTopicPartitionCount = context.config.groups.offsetsTopicNumPartitions
            let d = TransactionShardDriver(partition: tp, config: config, context: context, lease: lease, coordinatorEpoch: epoch)
            defer { s[index] = d }
            return (d, s[index])
        }
        if let stale { Task { await stale.unload() } }
        return driver
    }
}
