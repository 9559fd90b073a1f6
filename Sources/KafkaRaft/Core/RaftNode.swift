import KafkaProtocol
import NIOCore

/// One member of a KRaft quorum (KIP-595) as a synchronous state machine: events in, actions out. It holds no
/// clock, socket, file, lock, task or system randomness; the driver passes the time with every event, carries out
/// the actions in order and feeds back their results (flushes, snapshots).
///
/// The metadata log since the latest snapshot is part of this value (`log`); the driver mirrors it on disk from
/// the `.appendToLog`, `.truncateLog`, `.deleteLogBefore` and `.installSnapshot` actions and restores it from
/// disk on restart (only flushed batches survive a crash).
public struct RaftNode: Sendable {
    public let config: RaftConfig
    public internal(set) var log: RaftLog
    public internal(set) var election: ElectionState
    var role: Role
    /// The node's high watermark: the end of the prefix it knows to be committed. Never decreases while the node
    /// runs; after a restart it starts again from the latest snapshot (what the node can prove).
    public internal(set) var highWatermark: Int64?
    /// The end of the log prefix that is durable.
    public internal(set) var flushedEnd: Int64
    /// The latest snapshot this node holds, with its file bytes (served by FetchSnapshot).
    public internal(set) var latestSnapshot: SnapshotId?
    var snapshotBytes: ByteBuffer?
    var pendingSnapshot: SnapshotId?
    /// Committed bytes since the latest snapshot (`metadata.log.max.record.bytes.between.snapshots`).
    public internal(set) var bytesSinceSnapshot = 0
    /// When the latest snapshot was written or installed (or the node started): the time trigger's origin.
    var lastSnapshotAtMs: Int64
    var committed: Int64
    var rng: SplitMix64
    var requests: RequestManager
    var now: Int64 = 0
    var actions: [RaftAction] = []
    var flushRequested: Int64
    /// The leader and epoch before the transition in progress (set by `setElection`, consumed by `setRole`).
    var leaderBeforeTransition: LeaderAndEpoch?

    /// A node restarting from its persisted state: the election state from `quorum-state` (nil when the file
    /// does not exist yet), the durable log, and the latest snapshot with its bytes.
    public init(config: RaftConfig, election: ElectionState?, log: RaftLog, snapshot: (id: SnapshotId, bytes: ByteBuffer)? = nil,
                now: Int64, seed: UInt64) {
        self.config = config
        self.log = log
        self.election = election ?? .initial
        self.flushedEnd = log.endOffset
        self.flushRequested = log.endOffset
        self.latestSnapshot = snapshot?.id
        self.snapshotBytes = snapshot?.bytes
        self.committed = log.startOffset
        self.highWatermark = nil
        self.rng = SplitMix64(seed: seed)
        self.requests = RequestManager(requestTimeoutMs: config.requestTimeoutMs, retryBackoffMs: config.retryBackoffMs)
        self.now = now
        self.lastSnapshotAtMs = now
        self.role = .unattached(UnattachedState(electionDeadline: now))
        self.role = initialRole(now: now)
    }

    /// Kafka's `QuorumState.initialize`: a former leader comes back resigned, a candidate that voted for itself
    /// comes back a candidate, a voter that voted keeps its vote, a known leader is followed.
    private mutating func initialRole(now: Int64) -> Role {
        let e = election
        if config.isVoter {
            if e.leaderId == config.nodeId {
                return .resigned(ResignedState(electionDeadline: now + randomElectionTimeout(), unacked: [], preferredSuccessors: []))
            }
            if e.votedId == config.nodeId && e.leaderId == nil {
                return .candidate(CandidateState(granted: [config.nodeId], rejected: [], retries: 1,
                                                 electionDeadline: now + randomElectionTimeout(), backoffUntil: nil))
            }
        }
        if let leader = e.leaderId, leader != config.nodeId {
            return .follower(FollowerState(leaderId: leader, fetchDeadline: now + config.fetchTimeoutMs))
        }
        return .unattached(UnattachedState(electionDeadline: now + randomElectionTimeout()))
    }

    // MARK: - Queries

    public var epoch: Int32 { election.epoch }
    public var nodeId: Int32 { config.nodeId }
    public var isVoter: Bool { config.isVoter }

    public var roleName: RaftRoleName {
        switch role {
        case .unattached: return election.votedId != nil ? .voted : .unattached
        case .candidate: return .candidate
        case .leader: return .leader
        case .follower: return .follower
        case .resigned: return .resigned
        }
    }

    public var isLeader: Bool { if case .leader = role { return true } else { return false } }

    /// The leader this node knows for its epoch.
    public var leaderAndEpoch: LeaderAndEpoch {
        switch role {
        case .leader: return LeaderAndEpoch(leaderId: config.nodeId, epoch: election.epoch)
        case .follower(let f): return LeaderAndEpoch(leaderId: f.leaderId, epoch: election.epoch)
        default: return LeaderAndEpoch(leaderId: election.leaderId, epoch: election.epoch)
        }
    }

    /// The leader's own high watermark for this epoch (nil until the LeaderChangeMessage is committed).
    public var leaderHighWatermark: Int64? { if case .leader(let l) = role { return l.highWatermark } else { return nil } }

    /// The leader's view of every voter's and observer's progress (DescribeQuorum).
    public var replicaProgress: (voters: [Int32: ReplicaProgress], observers: [Int32: ReplicaProgress])? {
        guard case .leader(let l) = role else { return nil }
        var voters = l.voters
        voters[config.nodeId] = ReplicaProgress(endOffset: flushedEnd, lastFetchMs: now, lastCaughtUpMs: now)
        return (voters, l.observers)
    }

    // MARK: - Stepping

    /// Handles one event at time `now` (milliseconds, never decreasing) and returns what the driver must do.
    public mutating func handle(_ event: RaftEvent, now: Int64) -> [RaftAction] {
        self.now = max(self.now, now)
        actions = []
        switch event {
        case .tick: break
        case .received(let from, let envelope): receive(from: from, envelope)
        case .append(let records): append(records)
        case .flushed(let upTo): onFlushed(upTo)
        case .snapshotWritten(let id, let bytes): onSnapshotWritten(id, bytes)
        case .requestFailed(let to, let cid): requests.failed(to: to, correlationId: cid, now: self.now)
        case .resign: if case .leader = role { resign() }
        }
        poll()
        actions.append(.schedule(at: nextDeadline()))
        let out = actions
        actions = []
        return out
    }

    private mutating func receive(from: Int32, _ envelope: RaftEnvelope) {
        let cid = envelope.correlationId
        switch envelope.message {
        case .voteRequest(let r): respond(to: from, cid, .voteResponse(handleVoteRequest(r)))
        case .beginQuorumEpochRequest(let r): respond(to: from, cid, .beginQuorumEpochResponse(handleBeginQuorumEpoch(r)))
        case .endQuorumEpochRequest(let r): respond(to: from, cid, .endQuorumEpochResponse(handleEndQuorumEpoch(r)))
        case .fetchRequest(let r): handleFetchRequest(from: from, cid, r)
        case .fetchSnapshotRequest(let r): respond(to: from, cid, .fetchSnapshotResponse(handleFetchSnapshotRequest(r)))
        case .voteResponse(let r):
            if requests.accept(from: from, correlationId: cid, now: now) { handleVoteResponse(from: from, r) }
        case .beginQuorumEpochResponse(let r):
            if requests.accept(from: from, correlationId: cid, now: now) { handleBeginQuorumEpochResponse(from: from, r) }
        case .endQuorumEpochResponse(let r):
            if requests.accept(from: from, correlationId: cid, now: now) { handleEndQuorumEpochResponse(from: from, r) }
        case .fetchResponse(let r):
            if requests.accept(from: from, correlationId: cid, now: now) { handleFetchResponse(from: from, r) }
        case .fetchSnapshotResponse(let r):
            if requests.accept(from: from, correlationId: cid, now: now) { handleFetchSnapshotResponse(from: from, r) }
        }
    }

    mutating func respond(to: Int32, _ correlationId: Int32, _ message: RaftMessage) {
        actions.append(.send(to: to, RaftEnvelope(correlationId: correlationId, message: message)))
    }

    /// Election timeout with Kafka's jitter: uniformly in [t, 2t).
    mutating func randomElectionTimeout() -> Int64 {
        config.electionTimeoutMs + Int64.random(in: 0..<max(1, config.electionTimeoutMs), using: &rng)
    }
}
