/// The decision core of group commit: appends are acknowledged only once an fsync covers them, and appends that
/// arrive while an fsync runs (or within a short window) share the next one.
///
/// Pure and generic over the waiter (a promise, a continuation, a request id): the driver owns the I/O.
///
/// Driver loop, per partition (see docs/storage.md):
/// 1. after `append`, call `waitDurable(upTo: lastOffset + 1, waiter, now:)`; on `.completed` answer at once,
///    on `.scheduleFlush(at:)` arm a timer for that time (if none is armed);
/// 2. when the timer fires, call `startFlush(logEndOffset:now:)`; if it returns a target, run
///    `PartitionLog.flush(upTo: target)` off the event loop (a blocking-I/O thread pool), under the partition lock;
/// 3. report with `flushSucceeded(upTo:now:)` (complete the returned waiters, and arm a timer for the returned
///    deadline if any) or `flushFailed()` (fail the returned waiters; the log is now failed too).
public struct GroupCommitQueue<Waiter: Sendable>: Sendable {
    /// What the driver should do after registering a waiter.
    public enum Action: Sendable, Equatable {
        /// The offset is already durable: answer now.
        case completed
        /// Run a flush at this time (now or at the end of the batching window).
        case scheduleFlush(at: Int64)
        /// A flush is running or already scheduled; it or its successor will complete the waiter.
        case none
    }

    /// How long the first waiter of a group may wait for others before the flush starts (0: flush at once; while
    /// a flush runs, arrivals batch naturally).
    public let windowMs: Int64
    /// Offsets below it are durable.
    public private(set) var durableOffset: Int64
    /// Waiters ordered by offset (offsets are appended in increasing order).
    private var waiters: [(offset: Int64, waiter: Waiter)] = []
    /// The target of the flush in progress.
    public private(set) var flushInProgress: Int64?
    /// When the next flush is due, if scheduled.
    public private(set) var scheduledAt: Int64?

    public init(durableOffset: Int64, windowMs: Int64 = 0) {
        self.durableOffset = durableOffset
        self.windowMs = windowMs
    }

    /// Waiters not yet completed.
    public var pendingCount: Int { waiters.count }

    /// Registers interest in `offset` (exclusive: everything below it) being durable.
    public mutating func waitDurable(upTo offset: Int64, _ waiter: Waiter, now: Int64) -> Action {
        if offset <= durableOffset { return .completed }
        waiters.append((offset, waiter))
        if flushInProgress != nil || scheduledAt != nil { return .none }
        scheduledAt = now + windowMs
        return .scheduleFlush(at: now + windowMs)
    }

    /// Starts a flush if one is due and none is running; returns the offset to flush up to (the current log end,
    /// so the fsync covers every append so far, including ones whose waiters have not registered yet).
    public mutating func startFlush(logEndOffset: Int64, now: Int64) -> Int64? {
        guard flushInProgress == nil, let due = scheduledAt, now >= due, !waiters.isEmpty else { return nil }
        scheduledAt = nil
        flushInProgress = logEndOffset
        return logEndOffset
    }

    /// The flush to `offset` finished: returns the waiters it satisfied and, when others are left, the time the
    /// next flush is due.
    public mutating func flushSucceeded(upTo offset: Int64, now: Int64) -> (completed: [Waiter], nextFlushAt: Int64?) {
        flushInProgress = nil
        durableOffset = max(durableOffset, offset)
        let split = waiters.firstIndex { $0.offset > durableOffset } ?? waiters.count
        let completed = waiters.prefix(split).map(\.waiter)
        waiters.removeFirst(split)
        if !waiters.isEmpty {
            // Those arrived during the flush; they have waited long enough already.
            scheduledAt = now
            return (completed, now)
        }
        return (completed, nil)
    }

    /// The flush failed: every waiter fails (their data may not be durable and the log refuses further writes).
    public mutating func flushFailed() -> [Waiter] {
        flushInProgress = nil
        scheduledAt = nil
        defer { waiters.removeAll() }
        return waiters.map(\.waiter)
    }
}
