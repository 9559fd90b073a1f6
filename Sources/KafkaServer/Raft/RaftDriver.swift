import KafkaProtocol
import KafkaRaft
import NIOCore

/// Runs one `RaftNode` for real: files through `RaftDisk`, peers through `RaftTransport`, requests from the
/// controller listener through `handleRequest`, time from a monotonic clock.
///
/// Serialisation: every input (a timer, a response, a request, an append, a flush result) is queued on one
/// `AsyncStream` and consumed by one loop on this actor, which steps the core and carries out the returned
/// actions in order before it takes the next input — awaiting the disk thread for each file operation, so that
/// `quorum-state` is durable before the sends that follow it and a flush completes before `.flushed` is fed
/// back. Public methods only enqueue, so actor reentrancy never interleaves two steps.
public actor RaftDriver {
    enum Input: Sendable {
        case raft(RaftEvent)
        case timer(at: Int64)
        case append([ByteBuffer], CheckedContinuation<Int64, any Error>)
        case request(from: Int32, RaftMessage, CheckedContinuation<RaftMessage?, Never>)
        case requestExpired(InboundKey)
        case describeQuorum(CheckedContinuation<DescribeQuorumResponse, Never>)
        case shutdown(resign: Bool, CheckedContinuation<Void, Never>)
        case shutdownDeadline
    }

    struct InboundKey: Hashable, Sendable {
        var from: Int32
        var id: Int32
    }

    struct AppendWaiter {
        var receipt: AppendReceipt
        var continuation: CheckedContinuation<Int64, any Error>
    }

    public nonisolated let nodeId: Int32
    /// Leader changes, commits, snapshot loads and stops, as they happen (the newest 1,000 are buffered).
    public nonisolated let events: AsyncStream<RaftDriverEvent>
    /// Every committed batch, in log order, as it is applied, and every snapshot the state machine is loaded from
    /// (the start-up snapshot first), in the same order (unbounded: a subscriber that replays them, the metadata
    /// controller, must see every one). Snapshot loads are also reported on `events`.
    public nonisolated let committed: AsyncStream<RaftCommittedEntry>
    let committedContinuation: AsyncStream<RaftCommittedEntry>.Continuation
    nonisolated let input: AsyncStream<Input>.Continuation
    private let inputStream: AsyncStream<Input>
    private let eventsContinuation: AsyncStream<RaftDriverEvent>.Continuation
    let config: RaftDriverConfig
    let disk: RaftDisk
    let transport: RaftTransport
    let started = ContinuousClock.now

    var node: RaftNode
    var stateMachine: any RaftStateMachine
    /// The end of the prefix applied to the state machine.
    public internal(set) var applied: Int64
    var appendWaiters: [AppendWaiter] = []
    var inbound: [InboundKey: CheckedContinuation<RaftMessage?, Never>] = [:]
    /// The inbound Fetch requests the core parked (long poll) and has not answered yet.
    var parkedFetches: Set<InboundKey> = []
    var nextInboundId: Int32 = 1
    var timer: Task<Void, Never>?
    var timerAt: Int64?
    var followUps: [RaftEvent] = []
    var shutdownWaiter: CheckedContinuation<Void, Never>?
    var reportedLeader: LeaderAndEpoch?
    /// Why the driver stopped (nil while it runs).
    public private(set) var stopReason: String?

    /// - Parameters:
    ///   - loadedSnapshot: the records of the newest snapshot on disk, which `stateMachine` is already loaded from;
    ///     they open the `committed` stream.
    init(config: RaftDriverConfig, opened: OpenedRaftDisk, loadedSnapshot: [ByteBuffer]?, stateMachine: any RaftStateMachine,
         group: any EventLoopGroup) {
        let (stream, continuation) = AsyncStream<Input>.makeStream()
        let (events, eventsContinuation) = AsyncStream<RaftDriverEvent>.makeStream(bufferingPolicy: .bufferingNewest(1000))
        self.nodeId = config.raft.nodeId
        self.config = config
        self.input = continuation
        self.inputStream = stream
        self.events = events
        self.eventsContinuation = eventsContinuation
        let (committed, committedContinuation) = AsyncStream<RaftCommittedEntry>.makeStream()
        (self.committed, self.committedContinuation) = (committed, committedContinuation)
        self.disk = opened.disk
        self.transport = RaftTransport(config: config.raft, group: group) { event in continuation.yield(.raft(event)) }
        let restored = opened.restored
        if let snapshot = restored.snapshot, let records = loadedSnapshot {
            committedContinuation.yield(.snapshot(snapshot.id, records: records))
        }
        self.stateMachine = stateMachine
        self.applied = restored.log.startOffset
        self.node = RaftNode(config: config.raft, election: restored.election, log: restored.log,
                             snapshot: restored.snapshot.map { ($0.id, $0.bytes) }, now: 0, seed: config.seed)
    }

    /// Opens the metadata log in `config.metadataLogDir` (on the disk thread), rebuilds the core from it and
    /// starts the node. Requests for it arrive through `handleRequest` (a `RaftNodeServer` binds the listener).
    public static func start(config: RaftDriverConfig, stateMachine: any RaftStateMachine, group: any EventLoopGroup) async throws -> RaftDriver {
        let voters = config.raft.voterIds
        let dir = config.metadataLogDir
        let logConfig = config.logConfig
        let opened = try await RaftDisk.open { try RaftLogStore(logDir: dir, voters: voters, logConfig: logConfig) }
        // The log starts where the newest snapshot ends, so a snapshot that cannot be read or loaded leaves no way
        // to rebuild the state: refuse to start (Kafka fails the same way).
        var machine = stateMachine
        let records: [ByteBuffer]?
        do {
            records = try opened.restored.snapshot.map { try SnapshotFile.decode($0.bytes, id: $0.id).recordValues() }
            if let snapshot = opened.restored.snapshot, let records { try machine.load(snapshot: snapshot.id, records: records) }
        } catch {
            await opened.disk.close(clean: false)
            throw error
        }
        let driver = RaftDriver(config: config, opened: opened, loadedSnapshot: records, stateMachine: machine, group: group)
        Task { await driver.run() }
        driver.input.yield(.raft(.tick))
        return driver
    }

    // MARK: - API

    /// Appends records at the leader and returns the offset of the last one once it is committed. Throws
    /// `.notLeader` on another node, `.appendLost` if a new leader's log replaced them.
    public nonisolated func append(_ records: [ByteBuffer]) async throws -> Int64 {
        try await withCheckedThrowingContinuation { c in
            if case .terminated = input.yield(.append(records, c)) { c.resume(throwing: RaftDriverError.stopped) }
        }
    }

    /// Serves a raft request from the controller listener: the core's answer, or nil when it gave none in time.
    public nonisolated func handleRequest(from: Int32, _ message: RaftMessage) async -> RaftMessage? {
        await withCheckedContinuation { c in
            if case .terminated = input.yield(.request(from: from, message, c)) { c.resume(returning: nil) }
        }
    }

    /// The DescribeQuorum answer (the leader's view of its voters and observers).
    public nonisolated func describeQuorum() async -> DescribeQuorumResponse {
        await withCheckedContinuation { c in
            if case .terminated = input.yield(.describeQuorum(c)) { c.resume(returning: Self.stoppedDescribeQuorum) }
        }
    }

    /// What a stopped node answers to DescribeQuorum.
    static var stoppedDescribeQuorum: DescribeQuorumResponse {
        var r = DescribeQuorumResponse()
        r.errorCode = KafkaError.notLeaderOrFollower.rawValue
        return r
    }

    /// A graceful stop: a leader resigns (EndQuorumEpoch, KIP-595) and waits up to `shutdownTimeoutMs` for a
    /// successor; then connections and files are closed (indexes written, everything fsynced).
    public nonisolated func shutdown() async {
        await stop(resign: true)
    }

    /// Stops at once without resigning or closing the log cleanly, as a crash would (the other voters only notice
    /// the silence; a restart recovers the segments).
    public nonisolated func crash() async {
        await stop(resign: false)
    }

    private nonisolated func stop(resign: Bool) async {
        await withCheckedContinuation { c in
            if case .terminated = input.yield(.shutdown(resign: resign, c)) { c.resume() }
        }
    }

    public var leaderAndEpoch: LeaderAndEpoch { node.leaderAndEpoch }
    public var isLeader: Bool { node.isLeader }
    public var highWatermark: Int64? { node.highWatermark }
    public var roleName: RaftRoleName { node.roleName }
    /// The core's log (the batches after the latest snapshot).
    public var log: RaftLog { node.log }
    public var latestSnapshot: SnapshotId? { node.latestSnapshot }
    /// The state machine as it is now.
    public var state: any RaftStateMachine { stateMachine }

    // MARK: - The loop

    private func run() async {
        for await next in inputStream {
            await handle(next)
        }
    }

    func nowMs() -> Int64 {
        let d = started.duration(to: .now)
        return d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
    }

    private func handle(_ next: Input) async {
        if stopReason != nil {
            refuse(next)
            return
        }
        switch next {
        case .raft(let event):
            await step(event)
        case .timer(let at):
            if timerAt == at { timerAt = nil }
            await step(.tick)
        case .append(let records, let c):
            await step(.append(records), appender: c)
        case .request(let from, let message, let c):
            let key = InboundKey(from: from, id: nextInboundId)
            nextInboundId = nextInboundId == .max ? 1 : nextInboundId + 1
            inbound[key] = c
            await step(.received(from: from, RaftEnvelope(correlationId: key.id, message: message)))
            if inbound[key] != nil {
                if case .fetchRequest = message { parkedFetches.insert(key) }
                expire(key, after: expiry(of: message))
            }
        case .requestExpired(let key):
            parkedFetches.remove(key)
            inbound.removeValue(forKey: key)?.resume(returning: nil)
        case .describeQuorum(let c):
            c.resume(returning: node.describeQuorum())
        case .shutdown(let resign, let c):
            if resign && node.isLeader && shutdownWaiter == nil {
                shutdownWaiter = c
                let input = self.input
                let timeout = Duration.milliseconds(config.shutdownTimeoutMs)
                Task {
                    try? await Task.sleep(for: timeout)
                    input.yield(.shutdownDeadline)
                }
                await step(.resign)
            } else {
                await finish(reason: resign ? "shut down" : "crashed", clean: resign)
                c.resume()
            }
        case .shutdownDeadline:
            await finishShutdown()
        }
    }

    /// Answers what arrives after the driver stopped.
    private func refuse(_ next: Input) {
        switch next {
        case .append(_, let c): c.resume(throwing: RaftDriverError.stopped)
        case .request(_, _, let c): c.resume(returning: nil)
        case .describeQuorum(let c): c.resume(returning: Self.stoppedDescribeQuorum)
        case .shutdown(_, let c): c.resume()
        case .raft, .timer, .requestExpired, .shutdownDeadline: break
        }
    }

    /// How long a request may wait for the core's answer: a long-polled Fetch up to its MaxWaitMs, then the
    /// request timeout.
    private func expiry(of message: RaftMessage) -> Int64 {
        if case .fetchRequest(let r) = message { return Int64(max(0, r.maxWaitMs)) + config.raft.requestTimeoutMs }
        return config.raft.requestTimeoutMs
    }

    private func expire(_ key: InboundKey, after ms: Int64) {
        let input = self.input
        Task {
            try? await Task.sleep(for: .milliseconds(ms))
            input.yield(.requestExpired(key))
        }
    }

    /// Steps the core with one event and carries out its actions, then the events they produced (flush
    /// results, written snapshots).
    func step(_ event: RaftEvent, appender: CheckedContinuation<Int64, any Error>? = nil) async {
        var appender = appender
        await perform(node.handle(event, now: nowMs()), appender: &appender)
        appender?.resume(throwing: RaftDriverError.notLeader(node.leaderAndEpoch))
        while stopReason == nil, !followUps.isEmpty {
            let next = followUps.removeFirst()
            var none: CheckedContinuation<Int64, any Error>? = nil
            await perform(node.handle(next, now: nowMs()), appender: &none)
        }
        await reportLeaderChange()
    }

    /// Emits `.leaderChanged` when the known leader or epoch differs from the last one reported, and ends a
    /// graceful shutdown once another node leads.
    private func reportLeaderChange() async {
        guard stopReason == nil else { return }
        let now = node.leaderAndEpoch
        guard now != reportedLeader else { return }
        reportedLeader = now
        emit(.leaderChanged(now))
        if shutdownWaiter != nil, let id = now.leaderId, id != nodeId { await finishShutdown() }
    }

    func emit(_ event: RaftDriverEvent) { eventsContinuation.yield(event) }

    /// Stops everything; `clean` closes the log as a clean shutdown does.
    func finish(reason: String, clean: Bool) async {
        guard stopReason == nil else { return }
        stopReason = reason
        timer?.cancel()
        transport.close()
        for w in appendWaiters { w.continuation.resume(throwing: RaftDriverError.stopped) }
        appendWaiters = []
        for c in inbound.values { c.resume(returning: nil) }
        inbound = [:]
        parkedFetches = []
        await disk.close(clean: clean)
        emit(.stopped(reason: reason))
        eventsContinuation.finish()
        committedContinuation.finish()
        input.finish()
    }

    /// Ends a graceful shutdown (a successor is known, or the wait is over).
    func finishShutdown() async {
        guard let c = shutdownWaiter else { return }
        shutdownWaiter = nil
        await finish(reason: "shut down", clean: true)
        c.resume()
    }
}
