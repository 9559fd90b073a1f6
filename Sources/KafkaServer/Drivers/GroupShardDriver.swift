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

    init(partition: TopicPartition, config: GroupCoordinatorConfig, replicas: ReplicaManager,
         clock: @escaping @Sendable () -> Int64, logger: Logger) {
        self.partition = partition
        var seed = SystemRandomNumberGenerator()
        self.shard = GroupCoordinatorShard(config: config, memberIds: MemberIdGenerator(seed: seed.next()))
        self.replicas = replicas
        self.clock = clock
        self.logger = logger
    }

    /// Sends one request through the shard and waits for its reply (which may come with a later event).
    func request(apiVersion: Int16, clientId: String, clientHost: String,
                 _ makeEvent: @Sendable (KafkaCoordinator.RequestContext) -> GroupEvent) async -> GroupResponse? {
        do { try loadIfNeeded() } catch {
            logger.error("cannot load \(partition): \(error)")
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
        var count = 0
        try replicas.forEachRecord(partition) { key, value in
            guard let key else { return }
            shard.replay(try CoordinatorRecord(key: key, value: value))
            count += 1
        }
        loaded = true
        apply(shard.onLoaded(now: clock()), alreadyReplayed: true)
        if count > 0 { logger.info("loaded \(count) records of \(partition)") }
    }

    private func run(_ event: GroupEvent) {
        let result = shard.handle(event, now: clock())
        apply(result, alreadyReplayed: false)
    }

    private func apply(_ result: GroupResult, alreadyReplayed: Bool) {
        var failed = false
        if !result.records.isEmpty && !alreadyReplayed {
            do {
                var builder = RecordBatchBuilder()
                let now = clock()
                for record in result.records {
                    try builder.append(timestamp: now, key: try record.encodeKey(), value: try record.encodeValue())
                }
                try replicas.appendInternal(partition, records: try builder.build())
                for record in result.records { shard.replay(record) }
            } catch {
                // Nothing was replayed, so the shard's persisted state still matches the log; the requests that
                // needed these records are answered with an error below.
                logger.error("cannot write to \(partition): \(error)")
                failed = true
            }
        }
        for reply in result.replies {
            guard let c = waiting.removeValue(forKey: reply.requestId) else { continue }
            c.resume(returning: failed ? nil : reply.response)
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
        run(.timerFired(key))
    }

    /// Topic ids for the v10 offset APIs.
    func updateTopicIds(_ ids: [KafkaUUID: String]) {
        shard.updateTopicIds(ids)
    }
}
