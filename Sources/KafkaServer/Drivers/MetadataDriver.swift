import KafkaMetadata
import KafkaRaft
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
///
/// With a multi-voter quorum (`start(quorum:...)`) the log is a `RaftDriver`'s instead: see MetadataDriver+Quorum.
public actor MetadataDriver: ControllerChannel {
    var controller: QuorumController
    /// The single voter's own metadata log; nil when the log is a Raft quorum's.
    private let log: PartitionLog?
    /// The Raft node that owns the metadata log of a multi-voter quorum; nil for the single voter.
    let quorum: RaftNodeServer?
    /// What this node knows of the quorum and how far it replayed (quorum mode only).
    var quorumState = QuorumReplayState()
    /// The active controller's id as this node last heard it (quorum mode; nil when unknown).
    nonisolated let leaderId = Mutex<Int32?>(nil)
    var rng = SystemRandomNumberGenerator()
    public nonisolated let cache: MetadataCache
    let logger: Logger
    let clock: @Sendable () -> Int64
    /// Called after each commit with what it changed, on the actor (the broker creates and deletes partition logs).
    let onCommit: @Sendable (MetadataDelta) -> Void
    var pending: [Pending] = []
    private var draining = false
    /// Test hook: while held, commands queue up and nothing is appended.
    private var held = false
    /// How many appends have been written, and how many commands they carried (figures for tests and benches).
    public internal(set) var appends = 0
    public internal(set) var commandsCommitted = 0

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
        let log = try PartitionLog.open(
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
        self.quorum = nil
        self.cache = MetadataCache(controller.image, offset: log.logEndOffset - 1)
        self.logger = logger
        self.clock = clock
        self.onCommit = onCommit
        let end = log.logEndOffset
        self.log = log
        logger.info("metadata log replayed: \(replayed) records up to offset \(end)")
    }

    /// A driver whose log is `quorumServer`'s (quorum mode): the controller starts empty and follows the replay.
    init(quorumServer: RaftNodeServer, controller: QuorumController, clock: @escaping @Sendable () -> Int64,
         logger: Logger, onCommit: @escaping @Sendable (MetadataDelta) -> Void) {
        self.controller = controller
        self.log = nil
        self.quorum = quorumServer
        self.cache = MetadataCache(controller.image, offset: -1)
        self.logger = logger
        self.clock = clock
        self.onCommit = onCommit
    }

    /// Whether the log holds nothing yet (a freshly formatted node).
    public var isEmpty: Bool { log.map { $0.logEndOffset == 0 } ?? !quorumState.sawData }

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

    /// Flushes and closes the metadata log (in a quorum: the leader resigns first, then the Raft node stops).
    public func close() async throws {
        if let quorum { await quorum.shutdown() }
        try log?.close(now: clock())
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
            if let quorum { await processQuorumBatch(quorum.driver) } else { processBatch() }
            await Task.yield()
        }
        draining = false
    }

    /// One append: as many waiting commands as the bounds allow, each against the image the ones before it left.
    private func processBatch() {
        guard let log else { return }
        let speculation = speculate(base: log.logEndOffset)
        let outcomes = speculation.outcomes
        let batch = pending.prefix(outcomes.count)
        pending.removeFirst(outcomes.count)
        do {
            try commit(speculation.records, making: speculation.next)
        } catch {
            logger.error("metadata log append failed; \(batch.count) controller commands fail: \(error)")
            for item in batch { item.continuation.resume(throwing: error) }
            return
        }
        commandsCommitted += batch.count
        for (item, outcome) in zip(batch, outcomes) { item.continuation.resume(with: outcome) }
    }

    /// Runs as many waiting commands as the bounds allow against a copy of the controller, each on the image the
    /// ones before it left (their records replayed into the copy); `base` is the offset the first record gets.
    func speculate(base: Int64) -> Speculation {
        var next = controller
        var records: [MetadataRecord] = []
        var outcomes: [Result<Outcome, any Error>] = []
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
                rebuilt.leaderBalanceDueMs = next.leaderBalanceDueMs
                try? rebuilt.replay(records)
                next = rebuilt
                outcomes.append(.failure(error))
            }
        }
        return Speculation(next: next, records: records, outcomes: outcomes)
    }

    /// What `speculate` gives: the controller with the records replayed, the records, one outcome per command.
    struct Speculation {
        var next: QuorumController
        var records: [MetadataRecord]
        var outcomes: [Result<Outcome, any Error>]
    }

    /// Makes `records` durable (one batch, fsynced: the commit of a quorum of one), then adopts `next`, the
    /// controller with them replayed, and publishes it. With no records only the soft state is adopted.
    private func commit(_ records: [MetadataRecord], making next: QuorumController) throws {
        guard !records.isEmpty else {
            controller = next
            return
        }
        guard let log else { throw RaftDriverError.stopped }
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
        // The applier first, then the image: a client that sees this node lead a partition finds its replication
        // state already in place (docs/replication.md).
        onCommit(MetadataDelta(previous: previous, image: controller.image, records: records))
        cache.publish(controller.image, offset: log.logEndOffset - 1)
    }
}
