import KafkaCoordinator
import KafkaProtocol
import KafkaStorage
import Logging
import NIOCore

/// Runs one `GroupCoordinatorShard` (the coordinator of one `__consumer_offsets` partition): loads it by replaying
/// the partition, then serves events one at a time. A command's records are appended to the partition as one batch
/// and replayed before its replies go out; replies may answer requests held from earlier events (JoinGroup waits
/// for the rebalance). Timers become tasks that feed `.timerFired` back in.
actor GroupShardDriver {
    let partition: TopicPartition
    private var shard: GroupCoordinatorShard
    private let replicas: ReplicaManager
    private let clock: @Sendable () -> Int64
    private let logger: Logger
    private var loaded = false
    private var nextRequestId: UInt64 = 0
    private var waiting: [UInt64: CheckedContinuation<GroupResponse?, Never>] = [:]
    private var timers: [TimerKey: Task<Void, Never>] = [:]
    /// The leadership of the partition this shard loads under; its writes are refused under any other.
    nonisolated let lease: CoordinatorLease
    /// Replaced by a shard of a newer leadership: answers nothing, writes nothing.
    private var unloaded = false

    /// `offsets.commit.timeout.ms`: how long a reply waits for its records to commit.
    private let commitTimeoutMs: Int32

    init(partition: TopicPartition, config: GroupCoordinatorConfig, replicas: ReplicaManager, lease: CoordinatorLease,
         commitTimeoutMs: Int32, clock: @escaping @Sendable () -> Int64, logger: Logger) {
        self.partition = partition
        self.lease = lease
        self.commitTimeoutMs = commitTimeoutMs
        var seed = SystemRandomNumberGenerator()
        self.shard = GroupCoordinatorShard(config: config, memberIds: MemberIdGenerator(seed: seed.next()))
        self.replicas = replicas
        self.clock = clock
        self.logger = logger
    }

    /// Sends one request through the shard and waits for its reply (which may come with a later event).
    func request(apiVersion: Int16, clientId: String, clientHost: String,
                 _ makeEvent: @Sendable (KafkaCoordinator.RequestContext) -> GroupEvent) async -> GroupResponse? {
        guard !unloaded else { return nil }
        do { try loadIfNeeded() } catch {
            logLoadFailure(error, partition, logger)
            return nil
        }
        nextRequestId += 1
        let ctx = KafkaCoordinator.RequestContext(requestId: nextRequestId, apiVersion: apiVersion, clientId: clientId, clientHost: clientHost)
        let event = makeEvent(ctx)
        return await withCheckedContinuation { (c: CheckedContinuation<GroupResponse?, Never>) in
            waiting[ctx.requestId] = c
            run(event)
        }
    }

    /// Replays the partition into the shard the first time the shard is used.
    private func loadIfNeeded() throws {
        guard !loaded else { return }
        let started = clock()
        var count = 0
        // Records of transactional batches (transactional offset commits) stay pending until their producer's
        // marker follows in the log.
        try replicas.forEachEntry(partition) { entry in
            switch entry {
            case .record(let key, let value, let producer):
                guard let key else { return }
                let record = try CoordinatorRecord(key: key, value: value)
                if let producer {
                    shard.replayTransactional(record, producerId: producer.producerId, producerEpoch: producer.producerEpoch)
                } else {
                    shard.replay(record)
                }
            case .marker(let producerId, let producerEpoch, let commit):
                shard.replayEndTransactionMarker(producerId: producerId, producerEpoch: producerEpoch, committed: commit)
            }
            count += 1
        }
        loaded = true
        apply(shard.onLoaded(now: clock()), alreadyReplayed: true)
        logger.info("loaded the group coordinator of \(partition): \(count) records in \(clock() - started) ms")
    }

    private func run(_ event: GroupEvent) {
        let result = shard.handle(event, now: clock())
        apply(result, alreadyReplayed: false)
    }

    private func apply(_ result: GroupResult, alreadyReplayed: Bool) {
        var failed = false
        var refused: KafkaError?
        var commit: UInt64?
        if !result.records.isEmpty && !alreadyReplayed {
            do {
                let now = clock()
                if let producer = result.transactional {
                    // A transactional offset commit: one transactional batch of the producer (no sequence, as
                    // Kafka's coordinators write), pending in the shard until the transaction's marker.
                    var builder = RecordBatchBuilder(producerId: producer.producerId, producerEpoch: producer.producerEpoch,
                                                     baseSequence: -1, isTransactional: true)
                    for record in result.records {
                        try builder.append(timestamp: now, key: try record.encodeKey(), value: try record.encodeValue())
                    }
                    commit = try replicas.appendInternalTransactional(
                        partition, records: try builder.build(), producerId: producer.producerId,
                        producerEpoch: producer.producerEpoch, lease: lease, commitTimeoutMs: commitTimeoutMs)
                    for record in result.records {
                        shard.replayTransactional(record, producerId: producer.producerId, producerEpoch: producer.producerEpoch)
                    }
                } else {
                    var builder = RecordBatchBuilder()
                    for record in result.records {
                        try builder.append(timestamp: now, key: try record.encodeKey(), value: try record.encodeValue())
                    }
                    commit = try replicas.appendInternal(partition, records: try builder.build(), lease: lease,
                                                         commitTimeoutMs: commitTimeoutMs)
                    for record in result.records { shard.replay(record) }
                }
                for record in result.records { Self.logGroupChange(record, partition, logger) }
            } catch let error as KafkaError {
                refused = error
                failed = true
            } catch {
                // Nothing was replayed, so the shard's persisted state still matches the log; the requests that
                // needed these records are answered with an error below.
                logger.error("cannot write to \(partition): \(error)")
                failed = true
            }
        }
        var answers: [(CheckedContinuation<GroupResponse?, Never>, GroupResponse?)] = []
        for reply in result.replies {
            guard let c = waiting.removeValue(forKey: reply.requestId) else { continue }
            if let refused, case .txnOffsetCommit(var r) = reply.response {
                // The partition refused the producer (fenced): every partition of the commit says why.
                for t in r.topics.indices {
                    for p in r.topics[t].partitions.indices where r.topics[t].partitions[p].errorCode == 0 {
                        r.topics[t].partitions[p].errorCode = refused.rawValue
                    }
                }
                c.resume(returning: .txnOffsetCommit(r))
                continue
            }
            answers.append((c, failed ? nil : reply.response))
        }
        if let commit, !answers.isEmpty {
            // Kafka's coordinators reply once their records are committed (acks=all): a reply for records that
            // did not commit in offsets.commit.timeout.ms, or whose leadership was lost, is a coordinator error
            // and the client retries. The shard already holds the state; a lost leadership reloads it.
            let replicas = replicas
            Task {
                let error = await replicas.awaitAck(commit)
                for (c, response) in answers { c.resume(returning: error == .none ? response : nil) }
            }
        } else {
            for (c, response) in answers { c.resume(returning: response) }
        }
        for timer in result.timers {
            switch timer {
            case .schedule(let key, let deadline):
                timers[key]?.cancel()
                let delay = max(0, deadline - clock())
                timers[key] = Task { [weak self] in
                    try? await Task.sleep(for: .milliseconds(delay))
                    guard !Task.isCancelled else { return }
                    await self?.fire(key)
                }
            case .cancel(let key):
                timers.removeValue(forKey: key)?.cancel()
            }
        }
    }

    private func fire(_ key: TimerKey) {
        timers[key] = nil
        guard !unloaded else { return }
        run(.timerFired(key))
    }

    /// This node's leadership of the partition ended (another shard loads under the new one): timers stop and
    /// waiting requests get no answer (the handler's coordinator error sends the client to FindCoordinator).
    func unload() {
        unloaded = true
        for t in timers.values { t.cancel() }
        timers = [:]
        let pending = waiting
        waiting = [:]
        for c in pending.values { c.resume(returning: nil) }
    }

    /// The transaction coordinator wrote the COMMIT or ABORT marker of a producer's transaction to this partition:
    /// the transaction's pending offsets become committed or are dropped. A shard loaded after the marker was
    /// written has already seen it in the log; the event then finds nothing pending.
    func transactionCompleted(producerId: Int64, producerEpoch: Int16, committed: Bool) {
        do { try loadIfNeeded() } catch {
            logLoadFailure(error, partition, logger)
            return
        }
        run(.transactionCompleted(producerId: producerId, producerEpoch: producerEpoch, committed: committed))
    }

    /// The metadata image version the shard's topics come from (-1 before the first update).
    private(set) var topicsImageVersion = -1

    /// Topics for consumer group assignments.
    func updateTopics(_ topics: [KafkaUUID: AssignmentSpec.Topic], imageVersion: Int) {
        shard.updateTopics(topics)
        topicsImageVersion = imageVersion
    }
}

extension GroupShardDriver {
    /// Rebalances at info, as Kafka's coordinator logs them: a classic group's new generation (its GroupMetadata
    /// record, written when the generation completes), a consumer group's new epoch, and deletions.
    static func logGroupChange(_ record: CoordinatorRecord, _ partition: TopicPartition, _ logger: Logger) {
        switch record.payload {
        case .groupMetadata(let group, let value?):
            let members = value.members.map(\.memberId)
            guard !members.isEmpty else {
                logger.info("group \(group) (\(partition)): empty at generation \(value.generation)")
                return
            }
            logger.info("group \(group) (\(partition)): generation \(value.generation), protocol \(value.protocolType)/\(value.protocol ?? "-"), \(members.count) member\(members.count == 1 ? "" : "s"): \(members.prefix(10).joined(separator: ", "))\(members.count > 10 ? ", ..." : "")")
        case .groupMetadata(let group, nil):
            logger.info("group \(group) (\(partition)) deleted")
        case .consumerGroup(.metadata(let group, let value?)):
            logger.info("consumer group \(group) (\(partition)): group epoch \(value.epoch)")
        case .consumerGroup(.metadata(let group, nil)):
            logger.info("consumer group \(group) (\(partition)) deleted")
        default:
            break
        }
    }
}

/// A coordinator partition that cannot be loaded: expected for a moment after `__consumer_offsets` or
/// `__transaction_state` is created (its log is not open yet; clients retry), an error otherwise.
func logLoadFailure(_ error: any Error, _ partition: TopicPartition, _ logger: Logger) {
    if let e = error as? KafkaError, e == .coordinatorLoadInProgress {
        logger.info("\(partition) is not open yet: coordinator loading")
    } else {
        logger.error("cannot load \(partition): \(error)")
    }
}
