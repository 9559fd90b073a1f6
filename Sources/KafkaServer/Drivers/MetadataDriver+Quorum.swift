import KafkaMetadata
import KafkaProtocol
import KafkaRaft
import Logging
import NIOCore
import Synchronization

/// How far a quorum member has replayed the committed metadata log, and whether it is the active controller.
struct QuorumReplayState {
    /// The offset after the last committed batch replayed.
    var replayedEnd: Int64 = 0
    /// The epoch of the last committed batch replayed.
    var lastCommittedEpoch: Int32 = -1
    /// The epoch this node leads, from the driver's events (nil when it does not lead).
    var leaderEpoch: Int32?
    /// Whether a data batch was ever replayed (false: the log still needs its bootstrap records).
    var sawData = false
    /// Callers waiting until the replay passes an offset.
    var waiters: [(offset: Int64, continuation: CheckedContinuation<Void, Never>)] = []
    var stopped = false
    /// Called when this node stops being the active controller (ends the wait of an append in flight).
    var onDeactivation: [@Sendable () -> Void] = []

    /// The active controller is the Raft leader once a batch of its own epoch is committed and replayed: the
    /// leader's first entry is its LeaderChange control batch, so by then every record of earlier epochs is in
    /// this node's controller state (Kafka's controller likewise waits to replay the log up to its epoch's start).
    var isActive: Bool { leaderEpoch != nil && leaderEpoch == lastCommittedEpoch && !stopped }
}

/// The quorum mode of `MetadataDriver`: the metadata log is a `RaftDriver`'s. Every node replays the committed
/// batches of the driver's `committed` stream into its controller and image (the state machine), so all images
/// agree; only the active controller (the Raft leader) runs commands, and its commit step is an append through
/// Raft that replies once the batch is committed and replayed. Elsewhere a command gets NOT_CONTROLLER.
extension MetadataDriver {
    /// Starts the Raft node of `config` on its controller listener and a driver replaying its log.
    /// - Parameter observer: a broker-only node's: no controller listener is bound and it never leads (its id is
    ///   not among the voters), so its controller only replays; commands go to the active one by forwarding.
    /// - Parameter connectionLimiter: the controller listener's connection limits (nil: unlimited).
    public static func start(
        quorum config: RaftDriverConfig, observer: Bool = false, group: any EventLoopGroup,
        connectionLimiter: ConnectionLimiter? = nil, configuration: ControllerConfiguration,
        sessionTimeoutMs: Int64 = BrokerSessions.defaultSessionTimeoutMs,
        clock: @escaping @Sendable () -> Int64, logger: Logger,
        onCommit: @escaping @Sendable (MetadataDelta) -> Void
    ) async throws -> MetadataDriver {
        // The controller listener serves the brokers' lifecycle and forwarded admin requests on this node's own
        // controller, which exists only once the Raft node does: until it is bound they get NOT_CONTROLLER.
        let local = LocalControllerChannel()
        let server = try await RaftNodeServer.start(config: config, stateMachine: MetadataStateMachine(),
                                                    group: group, logger: logger,
                                                    commands: ControllerHandlers.commands(local, clusterId: config.raft.clusterId),
                                                    serve: !observer, connectionLimiter: connectionLimiter)
        let driver = MetadataDriver(quorum: server, configuration: configuration, sessionTimeoutMs: sessionTimeoutMs,
                                    clock: clock, logger: logger, onCommit: onCommit)
        local.bind(driver)
        await driver.follow(server.driver)
        return driver
    }

    /// The node id of the active controller as this node knows it: the Raft leader in quorum mode, nil for the
    /// single voter (which is its own controller).
    public nonisolated var activeControllerId: Int32? { leaderId.withLock { $0 } }

    /// The id clients are told is the controller (Metadata, DescribeCluster): the Raft leader in a quorum (-1 while
    /// none is known), `nodeId` for the single voter.
    public nonisolated func activeController(else nodeId: Int32) -> Int32 {
        quorum == nil ? nodeId : (activeControllerId ?? -1)
    }

    /// Whether this node is the active controller now (always for the single voter).
    public var isActiveController: Bool { quorum == nil || quorumState.isActive }

    private func follow(_ raft: RaftDriver) {
        Task {
            for await entry in raft.committed {
                switch entry {
                case .batch(let batch): self.replayCommitted(batch)
                case .snapshot(let id, let records): self.loadSnapshot(id, records)
                }
            }
            self.quorumStopped()
        }
        Task {
            for await event in raft.events { self.quorumEvent(event) }
        }
    }

    private func quorumEvent(_ event: RaftDriverEvent) {
        let wasActive = quorumState.isActive
        switch event {
        case .becameLeader(let epoch):
            quorumState.leaderEpoch = epoch
        case .resignedLeadership:
            quorumState.leaderEpoch = nil
        case .leaderChanged(let l):
            leaderId.withLock { $0 = l.leaderId }
            if l.leaderId != quorum?.driver.nodeId { quorumState.leaderEpoch = nil }
        case .stopped(let reason):
            logger.warning("the metadata quorum node stopped: \(reason)")
            quorumStopped()
        case .committed, .snapshotLoaded:
            break
        }
        activityChanged(from: wasActive)
    }

    private func quorumStopped() {
        quorumState.stopped = true
        quorumState.leaderEpoch = nil
        for w in quorumState.waiters { w.continuation.resume() }
        quorumState.waiters = []
        deactivated()
    }

    private func deactivated() {
        let calls = quorumState.onDeactivation
        quorumState.onDeactivation = []
        for call in calls { call() }
    }

    /// The state machine: replays one committed batch into the controller and publishes the image.
    private func replayCommitted(_ batch: RaftCommittedBatch) {
        let wasActive = quorumState.isActive
        quorumState.replayedEnd = batch.endOffset
        quorumState.lastCommittedEpoch = batch.epoch
        if !batch.isControl, !batch.records.isEmpty {
            quorumState.sawData = true
            do {
                let records = try batch.records.map { try MetadataRecord.decode($0) }
                let previous = controller.image
                try controller.replay(records)
                // The applier first, then the image (see MetadataDriver.commit).
                onCommit(MetadataDelta(previous: previous, image: controller.image, records: records))
                cache.publish(controller.image, offset: batch.endOffset - 1)
            } catch {
                // Kafka halts on a committed record it cannot replay; this node keeps the image it had.
                logger.critical("committed metadata records at offset \(batch.baseOffset) do not replay: \(error)")
            }
        }
        resumeReplayWaiters()
        activityChanged(from: wasActive)
    }

    /// The state machine loads a snapshot (KIP-630): at start-up from the newest `.checkpoint`, or on a follower or
    /// observer that fetched the leader's. The controller's state is replaced by the snapshot's, and the broker
    /// side sees the change as one delta from the old image to the new one, so the partition applier acts on
    /// leadership and ISR changes (and on topics gone while this node was away) as it does on log replay.
    private func loadSnapshot(_ id: SnapshotId, _ values: [ByteBuffer]) {
        let wasActive = quorumState.isActive
        do {
            let records = try values.map { try MetadataRecord.decode($0) }
            let previous = controller.image
            // Stray logs are judged only against a snapshot fetched past what this node had replayed. The one
            // loaded at start-up is older than this node's own log tail: topics created after it have logs here
            // and their creation is still to be replayed, so they must not be taken for deleted ones.
            let pastReplayed = quorumState.replayedEnd > 0
            try controller.load(snapshot: records)
            quorumState.replayedEnd = id.endOffset
            quorumState.lastCommittedEpoch = id.epoch
            // A snapshot holds the bootstrap records (metadata.version), so the log needs none.
            quorumState.sawData = true
            var delta = MetadataDelta(from: previous, to: controller.image)
            delta.fromSnapshot = pastReplayed
            onCommit(delta)
            cache.publish(controller.image, offset: id.endOffset - 1)
            logger.info("metadata snapshot \(id) loaded: \(records.count) records, \(controller.image.topicsById.count) topics")
        } catch {
            // Kafka halts on a snapshot it cannot load; the log after it cannot be replayed onto anything else.
            logger.critical("metadata snapshot \(id) does not load: \(error)")
        }
        resumeReplayWaiters()
        activityChanged(from: wasActive)
    }

    private func resumeReplayWaiters() {
        let reached = quorumState.replayedEnd
        quorumState.waiters.removeAll { w in
            guard w.offset < reached else { return false }
            w.continuation.resume()
            return true
        }
    }

    private func activityChanged(from wasActive: Bool) {
        let active = quorumState.isActive
        guard active != wasActive else { return }
        if active {
            // Sessions are soft state of the active controller: a new one gives every broker a fresh session.
            controller.sessions = BrokerSessions(sessionTimeoutMs: controller.sessions.sessionTimeoutMs)
            controller.leaderBalanceDueMs = nil
            logger.info("active controller in epoch \(quorumState.leaderEpoch ?? -1), replayed to offset \(quorumState.replayedEnd)")
        } else {
            logger.info("no longer the active controller")
            deactivated()
        }
    }

    /// Waits until the committed batch holding `offset` has been replayed (or the node stopped).
    private func waitReplayed(past offset: Int64) async {
        guard quorumState.replayedEnd <= offset, !quorumState.stopped else { return }
        await withCheckedContinuation { c in quorumState.waiters.append((offset, c)) }
    }

    /// One batch of waiting commands at the active controller: run speculatively, appended through Raft, replied to
    /// once committed and replayed. Not the active controller: every waiting command gets NOT_CONTROLLER.
    func processQuorumBatch(_ raft: RaftDriver) async {
        guard quorumState.isActive else {
            refuseWaiting(pending.count)
            return
        }
        do {
            if !quorumState.sawData {
                // A fresh quorum: its first leader writes what `kafka-storage format` bootstraps a log with.
                try await appendThroughRaft(QuorumController.bootstrapRecords(metadataVersion: .latestProduction), raft)
                logger.info("metadata log bootstrapped")
            }
        } catch {
            logger.warning("bootstrap records not committed: \(error)")
            refuseWaiting(pending.count)
            return
        }
        let speculation = speculate(base: await raft.log.endOffset)
        let count = speculation.outcomes.count
        let batch = pending.prefix(count)
        pending.removeFirst(count)
        do {
            try await appendThroughRaft(speculation.records, raft)
        } catch {
            logger.warning("metadata append through raft failed; \(count) controller commands get NOT_CONTROLLER: \(error)")
            for item in batch { item.continuation.resume(returning: Self.refusal(of: item.work)) }
            return
        }
        // The log state came back through replay; the soft state (heartbeat sessions) is the copy's.
        controller.sessions = speculation.next.sessions
        controller.leaderBalanceDueMs = speculation.next.leaderBalanceDueMs
        commandsCommitted += count
        for (item, outcome) in zip(batch, speculation.outcomes) { item.continuation.resume(with: outcome) }
    }

    private func appendThroughRaft(_ records: [MetadataRecord], _ raft: RaftDriver) async throws {
        guard !records.isEmpty else { return }
        let encoded = try records.map { try $0.encoded() }
        // A leader that loses its quorum resigns, but its append stays pending until a later leader's commit
        // settles it, which may never come (no majority left): the controller stops waiting when it stops being
        // active, and the commands get NOT_CONTROLLER, as Kafka's controller fails its in-flight operations.
        let outcome = await withCheckedContinuation { (c: CheckedContinuation<Result<Int64, any Error>, Never>) in
            let once = ResumeOnce(c)
            quorumState.onDeactivation.append { once.resume(.failure(RaftDriverError.notLeader(LeaderAndEpoch(leaderId: nil, epoch: -1)))) }
            Task {
                do { once.resume(.success(try await raft.append(encoded))) } catch { once.resume(.failure(error)) }
            }
        }
        let last = try outcome.get()
        await waitReplayed(past: last)
        appends += 1
    }

    private func refuseWaiting(_ count: Int) {
        let batch = pending.prefix(count)
        pending.removeFirst(count)
        for item in batch { item.continuation.resume(returning: Self.refusal(of: item.work)) }
    }

    static func refusal(of work: Work) -> Outcome {
        switch work {
        case .command(let command):
            return .reply(.refusing(command, with: ApiError(.notController, "this node is not the active controller")))
        case .tick:
            return .fenced([])
        }
    }

    init(quorum: RaftNodeServer, configuration: ControllerConfiguration, sessionTimeoutMs: Int64,
         clock: @escaping @Sendable () -> Int64, logger: Logger, onCommit: @escaping @Sendable (MetadataDelta) -> Void) {
        self.init(quorumServer: quorum, controller: QuorumController(configuration: configuration, sessionTimeoutMs: sessionTimeoutMs),
                  clock: clock, logger: logger, onCommit: onCommit)
    }
}

/// Resumes a continuation once, whichever of several events comes first.
final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, Never>?>
    init(_ c: CheckedContinuation<T, Never>) { continuation = Mutex(c) }
    func resume(_ value: T) {
        continuation.withLock { c in
            c?.resume(returning: value)
            c = nil
        }
    }
}
