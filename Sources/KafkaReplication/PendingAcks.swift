import KafkaProtocol

/// acks=all produces waiting on one partition's high watermark: answered when it passes their last record, or
/// with REQUEST_TIMED_OUT at their `timeout.ms` deadline. A value the driver consults when the high watermark
/// moves and when the clock passes `nextDeadline`; no task sleeps per request.
public struct PendingAcks<Key: Hashable & Sendable>: Sendable {
    struct Waiter: Sendable {
        var key: Key
        var requiredOffset: Int64
        var deadline: Int64
    }

    /// By required offset, ascending: completion takes a prefix.
    private var waiters: [Waiter] = []

    public init() {}

    public var count: Int { waiters.count }
    public var isEmpty: Bool { waiters.isEmpty }

    /// The earliest deadline of a waiting produce.
    public var nextDeadline: Int64? { waiters.lazy.map(\.deadline).min() }

    /// A produce whose records end before `requiredOffset` waits until `deadline`. Usually the newest append, so
    /// it goes last; a retried idempotent batch (answered like its first attempt, at its original offsets) can need
    /// less than produces already waiting, and goes before them.
    public mutating func add(_ key: Key, requiredOffset: Int64, deadline: Int64) {
        var i = waiters.endIndex
        while i > waiters.startIndex, waiters[i - 1].requiredOffset > requiredOffset { i -= 1 }
        waiters.insert(Waiter(key: key, requiredOffset: requiredOffset, deadline: deadline), at: i)
    }

    /// The produces `state` now answers, with their error (`.none`, or NOT_ENOUGH_REPLICAS_AFTER_APPEND).
    public mutating func complete(_ state: LeaderReplicationState) -> [Completion] {
        var done: [Completion] = []
        while let first = waiters.first, case .done(let error) = state.acksAllStatus(requiredOffset: first.requiredOffset) {
            done.append(Completion(key: first.key, error: error))
            waiters.removeFirst()
        }
        return done
    }

    /// The produces whose deadline has passed, answered REQUEST_TIMED_OUT (their records stay appended).
    public mutating func expire(now: Int64) -> [Completion] {
        var done: [Completion] = []
        waiters.removeAll { w in
            guard w.deadline <= now else { return false }
            done.append(Completion(key: w.key, error: .requestTimedOut))
            return true
        }
        return done
    }

    /// Every waiter, answered with `error` (leadership lost: NOT_LEADER_OR_FOLLOWER).
    public mutating func drain(_ error: KafkaError) -> [Completion] {
        defer { waiters.removeAll() }
        return waiters.map { Completion(key: $0.key, error: error) }
    }

    public struct Completion: Sendable {
        public var key: Key
        public var error: KafkaError
    }
}
