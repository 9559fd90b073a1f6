import KafkaProtocol
import KafkaReplication
import KafkaStorage
import Synchronization

/// What this node is for each partition it hosts, as replication sees it: the leader (with the partition's
/// `LeaderReplicationState` and the acks=all produces waiting on its high watermark) or a follower of some leader
/// at some epoch. The applier sets roles from the metadata log; the data path and the fetchers consult them.
///
/// Lock order: a partition's log lock first, then this registry's. Everything that can move a high watermark
/// (an append, a follower's fetch, an AlterPartition answer, a metadata change) runs inside the log's `withLog`,
/// so the log's high watermark and the state's change together; nothing here ever takes a log lock.
///
/// A partition with no role (a log opened outside the metadata log's control: unit tests of the data path) is
/// treated as a single replica: its high watermark follows its log end.
final class PartitionReplicas: Sendable {
    /// A partition this node leads.
    struct Led: Sendable {
        var topicId: KafkaUUID
        var state: LeaderReplicationState
        var acks = PendingAcks<UInt64>()
        /// Which leadership of this node this is: a new number each time it becomes leader, none for news about
        /// a leadership it holds. A coordinator loaded under one leadership is stale under the next.
        var generation: UInt64
    }

    /// A partition this node follows.
    struct Followed: Hashable, Sendable {
        var topicId: KafkaUUID
        var leader: Int32
        var leaderEpoch: Int32
    }

    enum Role: Sendable {
        case leader(Led)
        case follower(Followed)
    }

    private struct State {
        var roles: [TopicPartition: Role] = [:]
        var nextWaiter: UInt64 = 0
        var nextGeneration: UInt64 = 0
        /// acks=all produces answered before their handler began to wait.
        var results: [UInt64: KafkaError] = [:]
        var continuations: [UInt64: CheckedContinuation<KafkaError, Never>] = [:]
        /// ISR changes to send to the controller, newest per partition.
        var proposals: [TopicPartition: AlterPartitionProposal] = [:]
        /// Leaders with a running fetcher task.
        var fetchers: Set<Int32> = []
    }

    private let state = Mutex(State())
    /// Rung when a proposal is queued; the replication driver sends what is queued.
    private let doorbell: AsyncStream<Void>.Continuation
    let proposalsQueued: AsyncStream<Void>

    init() {
        (proposalsQueued, doorbell) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func role(_ tp: TopicPartition) -> Role? { state.withLock { $0.roles[tp] } }

    /// The leadership of `tp` a coordinator loads under (see `Led.generation`).
    func lease(_ tp: TopicPartition) -> CoordinatorLease {
        state.withLock { s in
            if case .leader(let led) = s.roles[tp] { return CoordinatorLease(generation: led.generation) }
            return CoordinatorLease(generation: nil)
        }
    }

    /// The leader epoch this node leads `tp` at; nil when it follows it; `0` when it has no role (single replica).
    func leaderEpoch(_ tp: TopicPartition) -> Int32? {
        switch role(tp) {
        case .leader(let led): return led.state.leaderEpoch
        case .follower: return nil
        case nil: return 0
        }
    }

    /// One step on a led partition: what `withLeader`'s body may change and ask for.
    struct LeaderStep {
        var led: Led
        /// What the core answered; acted on after the body.
        var actions: [ReplicationAction] = []
        /// An acks=all produce to register: (required offset, deadline).
        var wait: (requiredOffset: Int64, deadline: Int64)? = nil
    }

    /// What a `withLeader` step did.
    struct StepResult<T: Sendable>: Sendable {
        var value: T
        /// The high watermark moved (wake long polls).
        var advanced: Bool
        /// The registered acks=all produce, to pass to `awaitAck`; nil when it was answered at once (`answered`).
        var waiter: UInt64?
        /// The answer of an acks=all produce the state completed at once (a single replica, or followers ahead).
        var answered: KafkaError?
    }

    /// Runs `body` on the state of a partition this node leads (nil when it does not), then acts on its actions:
    /// a high watermark that moved is written to `log` and completes acks=all waiters; ISR changes are queued for
    /// the controller. Call inside `log`'s lock.
    func withLeader<T: Sendable>(_ tp: TopicPartition, log: PartitionLog, _ body: (inout LeaderStep) -> T) -> StepResult<T>? {
        var queued = false
        let result = state.withLock { s -> StepResult<T>? in
            guard case .leader(let led) = s.roles[tp] else { return nil }
            var step = LeaderStep(led: led)
            let value = body(&step)
            var advanced = false
            for action in step.actions {
                switch action {
                case .highWatermarkAdvanced(let hw):
                    if hw > log.highWatermark { log.updateHighWatermark(hw) }
                    advanced = true
                case .sendAlterPartition(let proposal):
                    s.proposals[tp] = proposal
                    queued = true
                }
            }
            var waiter: UInt64?
            if let wait = step.wait {
                s.nextWaiter += 1
                waiter = s.nextWaiter
                step.led.acks.add(s.nextWaiter, requiredOffset: wait.requiredOffset, deadline: wait.deadline)
            }
            if advanced || waiter != nil { Self.finish(step.led.acks.complete(step.led.state), &s) }
            s.roles[tp] = .leader(step.led)
            // Answered already: the produce need not wait (the common case with one replica).
            var answered: KafkaError?
            if let w = waiter, let done = s.results.removeValue(forKey: w) {
                answered = done
                waiter = nil
            }
            return StepResult(value: value, advanced: advanced, waiter: waiter, answered: answered)
        }
        if queued { doorbell.yield() }
        return result
    }

    /// Waits for the acks=all produce `id` to be answered: `.none`, NOT_ENOUGH_REPLICAS_AFTER_APPEND,
    /// REQUEST_TIMED_OUT or NOT_LEADER_OR_FOLLOWER.
    func awaitAck(_ id: UInt64) async -> KafkaError {
        await withCheckedContinuation { (c: CheckedContinuation<KafkaError, Never>) in
            let ready = state.withLock { s -> KafkaError? in
                if let done = s.results.removeValue(forKey: id) { return done }
                s.continuations[id] = c
                return nil
            }
            if let ready { c.resume(returning: ready) }
        }
    }

    private static func finish(_ completions: [PendingAcks<UInt64>.Completion], _ s: inout State) {
        for c in completions {
            if let waiting = s.continuations.removeValue(forKey: c.key) {
                waiting.resume(returning: c.error)
            } else {
                s.results[c.key] = c.error
            }
        }
    }

    // MARK: roles

    /// This node leads `tp` under `term` (a new leadership, or news about the one it holds). Call inside the
    /// log's lock, after the log's epoch start is assigned. Returns whether the high watermark moved.
    @discardableResult
    func lead(_ tp: TopicPartition, topicId: KafkaUUID, term: PartitionTerm, ineligible: Set<Int32>,
              config: ReplicationConfig, log: PartitionLog, now: Int64) -> Bool {
        let isNew = state.withLock { s -> Bool in
            if case .leader = s.roles[tp] { return false }
            let fresh = LeaderReplicationState(localId: term.leader, term: term, logEndOffset: log.logEndOffset,
                                               highWatermark: log.highWatermark, ineligible: ineligible, config: config, now: now)
            s.nextGeneration += 1
            s.roles[tp] = .leader(Led(topicId: topicId, state: fresh, generation: s.nextGeneration))
            s.proposals[tp] = nil
            return true
        }
        let result = withLeader(tp, log: log) { step in
            step.led.state.config = config
            // A new leader with itself as the whole ISR commits its log at once; otherwise its followers' first
            // fetches move the high watermark. News about a held leadership: the core ignores older terms.
            step.actions = isNew ? step.led.state.appended(logEndOffset: log.logEndOffset, now: now)
                                 : step.led.state.metadataChanged(term, ineligible: ineligible, now: now)
        }
        return result?.advanced ?? false
    }

    /// What the leader's fetcher must do after `follow`.
    enum FetcherChange {
        case none
        /// No fetcher runs for the leader: start one.
        case start
        /// One runs, and the partition is new to it (or its epoch changed): cut its long poll short.
        case wake
    }

    /// This node follows `tp` from `leader` at `leaderEpoch`. Waiting acks=all produces of a leadership it held
    /// are answered NOT_LEADER_OR_FOLLOWER.
    func follow(_ tp: TopicPartition, _ followed: Followed) -> FetcherChange {
        state.withLock { s in
            if case .leader(var led) = s.roles[tp] { Self.finish(led.acks.drain(.notLeaderOrFollower), &s) }
            let unchanged: Bool
            if case .follower(let old) = s.roles[tp] { unchanged = old == followed } else { unchanged = false }
            s.roles[tp] = .follower(followed)
            s.proposals[tp] = nil
            guard followed.leader >= 0 else { return .none }
            if s.fetchers.insert(followed.leader).inserted { return .start }
            return unchanged ? .none : .wake
        }
    }

    /// `tp` is gone from this node (its topic was deleted).
    func remove(_ tp: TopicPartition) {
        state.withLock { s in
            if case .leader(var led) = s.roles[tp] { Self.finish(led.acks.drain(.notLeaderOrFollower), &s) }
            s.roles[tp] = nil
            s.proposals[tp] = nil
        }
    }

    /// The partitions a fetcher of `leader` fetches; when there are none, the fetcher is deregistered (and must
    /// stop) in the same step, so that a partition followed later starts a new one.
    func followedFrom(_ leader: Int32) -> [TopicPartition: Followed]? {
        state.withLock { s in
            var out: [TopicPartition: Followed] = [:]
            for (tp, role) in s.roles {
                if case .follower(let f) = role, f.leader == leader { out[tp] = f }
            }
            if out.isEmpty {
                s.fetchers.remove(leader)
                return nil
            }
            return out
        }
    }

    /// Whether `tp` is still followed from `leader` at `leaderEpoch` (a fetch answer may be applied).
    func isFollowing(_ tp: TopicPartition, _ followed: Followed) -> Bool {
        state.withLock { s in
            if case .follower(let f) = s.roles[tp] { return f == followed }
            return false
        }
    }

    // MARK: the clock and the controller

    /// The clock: acks=all produces past their deadline get REQUEST_TIMED_OUT; ISR members that lag past
    /// `replica.lag.time.max.ms` are proposed for removal.
    func tick(now: Int64) {
        var queued = false
        state.withLock { s in
            // Only partitions with waiting acks=all produces or an ISR that could shrink have anything to do; the
            // others are not copied out and written back (with 10,000 idle partitions led, that copying was a
            // steady cost of every tick, and writing into the dictionary being iterated copied it whole).
            var due: [TopicPartition] = []
            for (tp, role) in s.roles {
                if case .leader(let led) = role, !led.acks.isEmpty || led.state.mayShrinkIsr { due.append(tp) }
            }
            for tp in due {
                guard case .leader(var led) = s.roles[tp] else { continue }
                Self.finish(led.acks.expire(now: now), &s)
                for case .sendAlterPartition(let proposal) in led.state.tick(now: now) {
                    s.proposals[tp] = proposal
                    queued = true
                }
                s.roles[tp] = .leader(led)
            }
        }
        if queued { doorbell.yield() }
    }

    /// The ISR changes queued for the controller (taken: the sender owns them now).
    func takeProposals() -> [(partition: TopicPartition, topicId: KafkaUUID, proposal: AlterPartitionProposal)] {
        state.withLock { s in
            defer { s.proposals = [:] }
            return s.proposals.compactMap { tp, proposal in
                guard case .leader(let led) = s.roles[tp] else { return nil }
                return (tp, led.topicId, proposal)
            }
        }
    }

    /// The partitions this node leads.
    var ledPartitions: [TopicPartition] {
        state.withLock { s in s.roles.compactMap { tp, role in if case .leader = role { tp } else { nil } } }
    }
}

/// The leadership of a coordinator partition that a coordinator was loaded under: `generation` nil when the node did
/// not lead it (or it has no replication role, a single replica). Appends under another lease are refused.
public struct CoordinatorLease: Hashable, Sendable {
    public var generation: UInt64?
}
