import KafkaMetadata
import KafkaProtocol
import KafkaStorage
import Logging
import NIOCore
import Synchronization

/// The latest committed metadata image, readable from any thread.
public final class MetadataCache: Sendable {
    private let current: Mutex<(image: MetadataImage, offset: Int64)>
    public init(_ image: MetadataImage, offset: Int64 = -1) { current = Mutex((image, offset)) }
    public var image: MetadataImage { current.withLock { $0.image } }
    /// The offset of the last record the image includes (-1 for none): what a broker reports as caught up to.
    public var offset: Int64 { current.withLock { $0.offset } }
    func publish(_ image: MetadataImage, offset: Int64) { current.withLock { $0 = (image, offset) } }
}

/// The in-process active controller: runs the pure `QuorumController` against the KRaft metadata log
/// `__cluster_metadata-0` with a quorum of one voter, and is the `ControllerChannel` of this node's broker.
///
/// Commands that wait at the same time share one append: each runs against the image as left by the commands
/// before it (their records replayed speculatively into a copy of the controller), all their records go into one
/// batch, which is fsynced (the single voter's commit), and only then does the copy become the controller, the
/// image get published and each caller get its reply. A failed append fails every command of the batch and
/// changes nothing. The multi-node quorum replaces the append and fsync with a Raft commit; the broker side sees
/// the same channel and the same commit callback.
public actor MetadataDriver: ControllerChannel {
    private var controller: QuorumController
    private let log: PartitionLog
    private var rng = SystemRandomNumberGenerator()
    public nonisolated let cache: MetadataCache
    private let logger: Logger
    private let clock: @Sendable () -> Int64
    /// Called after each commit with what it changed, on the actor (the broker creates and deletes partition logs).
    private let onCommit: @Sendable (MetadataDelta) -> Void
    private var pending: [Pending] = []
    private var draining = false
    /// Test hook: while held, commands queue up and nothing is appended.
    private var held = false
    /// How many appends have been written, and how many commands they carried (figures for tests and benches).
    public private(set) var appends = 0
    public private(set) var commandsCommitted = 0

    /// Bounds of one append: commands waiting beyond them go into the next.
    static let maxCommandsPerAppend = 256
    static let maxRecordsPerAppend = 20_000

    /// Opens the metadata log in `directory` and replays it.
    public init(
        directory: String, cache fileCache: FileHandleCache, configuration: ControllerConfiguration,
        sessionTimeoutMs: Int64 = BrokerSessions.defaultSessionTimeoutMs,
        clock: @escaping @Sendable () -> Int64, logger: Logger,
        onCommit: @escaping @Sendable (MetadataDelta) -> Void
    ) throws {
        let now = clock()
        var config = LogConfig()
        config.retentionMs = nil  // the metadata log is never trimmed by time (snapshots would; not yet written)
        log = try PartitionLog.open(
            directory: directory, topicPartition: TopicPartition("__cluster_metadata", 0), config: config,
            cache: fileCache, cleanShutdown: false, now: now)
        var controller = QuorumController(configuration: configuration, sessionTimeoutMs: sessionTimeoutMs)
        var replayed = 0
        var offset = log.logStartOffset
        while offset < log.logEndOffset {
            let read = try log.read(from: offset, maxBytes: 1 << 20, now: now)
            guard let region = read.region else { break }
            var it = RecordBatchIterator(try region.bytes())
            var progressed = false
            while let batch = try it.next() {
                let h = batch.header
                offset = h.nextOffset
                progressed = true
                if h.isControl { continue }
                try batch.forEachRecord { r in
                    guard let value = r.value else { return }
                    try controller.replay(try MetadataRecord.decode(value))
                    replayed += 1
                }
            }
            if !progressed { break }
        }
        self.controller = controller
        self.cache = MetadataCache(controller.image, offset: log.logEndOffset - 1)
        self.logger = logger
        self.clock = clock
        self.onCommit = onCommit
        let end = log.logEndOffset
        logger.info("metadata log replayed: \(replayed) records up to offset \(end)")
    }

    /// Whether the log holds nothing yet (a freshly formatted node).
    public var isEmpty: Bool { log.logEndOffset == 0 }

    /// The offset the next committed record gets (Kafka uses it as a broker's epoch).
    public var nextOffset: Int64 { log.logEndOffset }

    public var image: MetadataImage { controller.image }

    /// Writes the records `kafka-storage format` bootstraps an empty metadata log with; false when the log was
    /// not empty. Not a command: only the controller that owns a fresh log does it, before serving anyone.
    public func bootstrapIfEmpty(metadataVersion: MetadataVersion = .latestProduction) throws -> Bool {
        guard isEmpty else { return false }
        var next = controller
        let records = QuorumController.bootstrapRecords(metadataVersion: metadataVersion)
        try next.replay(records)
        try commit(records, making: next)
        return true
    }

    public nonisolated func submit(_ command: ControllerCommand) async throws -> ControllerReply {
        // Stamped before waiting for the actor, so a heartbeat counts from when it arrived, not from when a busy
        // controller got to it (Kafka updates the contact time on the request thread for the same reason).
        let outcome = try await enqueue(.command(command), receivedAt: clock())
        guard case .reply(let reply) = outcome else { throw UnexpectedControllerReply(command: command.name, reply: nil) }
        return reply
    }

    /// Runs the controller's clock: fences a broker whose heartbeat session has expired; returns its id, if any.
    public nonisolated func tick() async throws -> [Int32] {
        guard case .fenced(let ids) = try await enqueue(.tick, receivedAt: clock()) else { return [] }
        return ids
    }

    /// Flushes and closes the metadata log.
    public func close() throws {
        try log.close(now: clock())
    }
}

extension MetadataDriver {
    enum Work: Sendable {
        case command(ControllerCommand)
        case tick
    }

    enum Outcome: Sendable {
        case reply(ControllerReply)
        case fenced([Int32])
    }

    struct Pending {
        var work: Work
        var receivedAt: Int64
        var continuation: CheckedContinuation<Outcome, any Error>
    }

    private func enqueue(_ work: Work, receivedAt: Int64) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            pending.append(Pending(work: work, receivedAt: receivedAt, continuation: continuation))
            startDraining()
        }
    }

    private func startDraining() {
        guard !draining, !held else { return }
        draining = true
        Task { await self.drain() }
    }

    /// Holds every command submitted from now on (tests make a batch deterministic with it).
    func hold() { held = true }

    /// Lets held commands go: those waiting share the next append.
    func release() {
        held = false
        startDraining()
    }

    /// How many commands wait for an append.
    var waiting: Int { pending.count }

    /// Appends batch after batch while commands wait. Between appends the actor is let go, so that commands
    /// submitted during an fsync queue up and share the next one.
    private func drain() async {
        while !pending.isEmpty, !held {
            processBatch()
            await Task.yield()
        }
        draining = false
    }

    /// One append: as many waiting commands as the bounds allow, each against the image the ones before it left.
    private func processBatch() {
        var next = controller
        var records: [MetadataRecord] = []
        var outcomes: [Result<Outcome, any Error>] = []
        let base = log.logEndOffset
        for item in pending {
            guard outcomes.count < Self.maxCommandsPerAppend, records.count < Self.maxRecordsPerAppend else { break }
            let context = CommandContext(now: item.receivedAt, nextOffset: base + Int64(records.count))
            let result: ControllerResult<Outcome>
            switch item.work {
            case .command(let command):
                let r = next.execute(command, context: context, using: &rng)
                result = ControllerResult(records: r.records, response: .reply(r.response))
            case .tick:
                let r = next.tick(now: context.now)
                result = ControllerResult(records: r.records, response: .fenced(r.response))
            }
            do {
                try next.replay(result.records)
                records += result.records
                outcomes.append(.success(result.response))
            } catch {
                // Records the controller made that do not replay are a bug in it: that command fails alone, and
                // the copy is rebuilt from the committed controller and the records that did replay.
                logger.error("controller records of \(item.work) do not replay: \(error)")
                var rebuilt = controller
                rebuilt.sessions = next.sessions
                try? rebuilt.replay(records)
                next = rebuilt
                outcomes.append(.failure(error))
            }
        }
        let batch = pending.prefix(outcomes.count)
        pending.removeFirst(outcomes.count)
        do {
            try commit(records, making: next)
        } catch {
            logger.error("metadata log append failed; \(batch.count) controller commands fail: \(error)")
            for item in batch { item.continuation.resume(throwing: error) }
            return
        }
        commandsCommitted += batch.count
        for (item, outcome) in zip(batch, outcomes) { item.continuation.resume(with: outcome) }
    }

    /// Makes `records` durable (one batch, fsynced: the commit of a quorum of one), then adopts `next`, the
    /// controller with them replayed, and publishes it. With no records only the soft state is adopted.
    private func commit(_ records: [MetadataRecord], making next: QuorumController) throws {
        guard !records.isEmpty else {
            controller = next
            return
        }
        let now = clock()
        var builder = RecordBatchBuilder(partitionLeaderEpoch: 1)
        for record in records {
            try builder.append(timestamp: now, key: nil, value: try record.encoded())
        }
        var batch = try builder.build()
        try log.append(&batch, origin: .leader(epoch: 1), now: now)
        try log.flush(now: now)
        log.updateHighWatermark(log.logEndOffset)
        appends += 1
        let previous = controller.image
        controller = next
        cache.publish(controller.image, offset: log.logEndOffset - 1)
        onCommit(MetadataDelta(previous: previous, image: controller.image, records: records))
    }
}
