#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The I/O side of group commit for one partition: runs `GroupCommitQueue`'s decisions, fsyncs, and completes
/// waiters.
///
/// There is no thread of its own. The caller that registers the first waiter of a group becomes the *flusher*:
/// it waits out the batching window, fsyncs, completes the waiters that fsync covered, and keeps going while
/// waiters that arrived meanwhile are pending; every other caller returns at once and is completed by the
/// flusher. `waitDurable` must therefore be called on a thread that may block (a blocking-I/O pool thread, never
/// an event loop), and never while holding the partition lock.
///
/// The fsync of the active segment's `.log` runs **outside** the partition lock, so appends go on while it runs
/// and their waiters join the next fsync. Anything else a flush must make durable (rolled segments' index files,
/// the directory after a roll, `.txnindex` entries) is rare and goes through `PartitionLog.flush` under the lock.
///
/// Completions (`complete`) run on the flusher's thread, outside every lock, in offset order; an error means
/// the fsync failed, the data may be lost and the log is now failed (`StorageError.logFailed`).
///
/// Leader appends only: a truncation of the log while waiters are pending (a leader change) must be handled by
/// the broker failing those requests; the driver does not notice it.
public final class GroupCommitDriver<Waiter: Sendable>: Sendable {
    public typealias Completion = @Sendable (_ waiters: [Waiter], _ error: (any Error)?) -> Void

    public let handle: PartitionHandle
    private let queue: Mutex<GroupCommitQueue<Waiter>>
    private let clock: @Sendable () -> Int64
    private let complete: Completion
    private let fsyncCount = Atomic<Int>(0)

    /// - Parameters:
    ///   - windowMs: how long the first waiter of a group waits for others before the fsync starts; 0 batches only
    ///     the waiters that arrive while an fsync runs.
    ///   - clock: milliseconds from a monotonic clock (injectable for tests).
    ///   - complete: called with the waiters an fsync covered (error nil) or with those that failed.
    public init(handle: PartitionHandle, windowMs: Int64 = 0,
                clock: @escaping @Sendable () -> Int64 = GroupCommitDriver.monotonicMilliseconds,
                complete: @escaping Completion) throws {
        self.handle = handle
        let durable = try handle.withLog { $0.recoveryPoint }
        self.queue = Mutex(GroupCommitQueue(durableOffset: durable, windowMs: windowMs))
        self.clock = clock
        self.complete = complete
    }

    /// fsyncs run so far (for tests and benchmarks: appends per fsync).
    public var fsyncs: Int { fsyncCount.load(ordering: .relaxed) }

    /// Waiters not yet completed.
    public var pendingCount: Int { queue.withLock { $0.pendingCount } }

    /// Asks for `waiter` to be completed once every offset below `offset` (an append's lastOffset + 1) is
    /// durable. May block the calling thread to run fsyncs for the whole group (see the type's documentation).
    public func waitDurable(upTo offset: Int64, _ waiter: Waiter) {
        let action = queue.withLock { $0.waitDurable(upTo: offset, waiter, now: clock()) }
        switch action {
        case .completed: complete([waiter], nil)
        case .none: return
        case .scheduleFlush(let at): runFlushes(dueAt: at)
        }
    }

    /// The flusher's loop: one fsync per group until no waiter is left.
    private func runFlushes(dueAt firstDue: Int64) {
        var due: Int64? = firstDue
        while let deadline = due {
            let now = clock()
            if deadline > now { Self.sleep(milliseconds: deadline - now) }
            let logEnd: Int64
            do {
                logEnd = try handle.withLog { $0.logEndOffset }
            } catch {
                return fail(error)
            }
            let started = queue.withLock { $0.startFlush(logEndOffset: logEnd, now: max(clock(), deadline)) }
            guard let target = started else {
                // Nothing to flush (cannot happen while this thread is the flusher, but be safe): stand down.
                return
            }
            do {
                let plan = try handle.withLog { try $0.prepareGroupFlush(upTo: target) }
                if let plan {
                    for file in plan.files { try file.sync() }
                    fsyncCount.add(1, ordering: .relaxed)
                    try handle.withLog { $0.completeGroupFlush(plan) }
                }
            } catch {
                _ = try? handle.withLog { log in _ = log.fail(error) }
                return fail(error)
            }
            let (completed, next) = queue.withLock { $0.flushSucceeded(upTo: target, now: clock()) }
            if !completed.isEmpty { complete(completed, nil) }
            due = next
        }
    }

    private func fail(_ error: any Error) {
        let failed = queue.withLock { $0.flushFailed() }
        if !failed.isEmpty { complete(failed, error) }
    }

    /// CLOCK_MONOTONIC in milliseconds.
    @Sendable public static func monotonicMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    static func sleep(milliseconds: Int64) {
        var request = timespec(tv_sec: Int(milliseconds / 1000), tv_nsec: Int(milliseconds % 1000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}

/// What a group-commit fsync must do outside the partition lock.
struct GroupFlushPlan: Sendable {
    /// `.log` handles to fsync.
    var files: [any StorageFile]
    /// The offset the recovery point may move to once they are synced.
    var target: Int64
    /// Base offset of the active segment when the plan was made (a roll meanwhile is detected by it changing).
    var activeBaseOffset: Int64
}

extension PartitionLog {
    /// Under the partition lock: what a group-commit flush to `offset` must fsync. The common case — only the
    /// active segment's `.log` has unsynced writes — returns its handle (marked clean now: appends after this
    /// point mark it dirty again) for an fsync outside the lock. Anything else (rolled segments, directory
    /// entries, `.txnindex`) is flushed here with `flush(upTo:)`, and nil is returned, as when nothing needs an
    /// fsync.
    func prepareGroupFlush(upTo offset: Int64) throws -> GroupFlushPlan? {
        try ensureWritable()
        let target = min(offset, logEndOffset)
        guard target > recoveryPoint || directoryDirty else { return nil }
        let first = segmentIndex(for: recoveryPoint) ?? 0
        let active = activeSegment
        let onlyActive = first == segments.count - 1 && !directoryDirty && !active.transactionIndexDirty
            && active.persistedAbortedCount == active.abortedTransactions.count
        guard onlyActive else {
            try flush(upTo: target, now: lastUsed)
            return nil
        }
        var files: [any StorageFile] = []
        if active.logDirty {
            files.append(try active.logFile())
            active.logDirty = false
        }
        return GroupFlushPlan(files: files, target: target, activeBaseOffset: active.baseOffset)
    }

    /// Under the partition lock, after the plan's fsyncs succeeded: moves the recovery point.
    func completeGroupFlush(_ plan: GroupFlushPlan) {
        var point = min(plan.target, logEndOffset)
        if activeSegment.baseOffset != plan.activeBaseOffset {
            // The segment rolled meanwhile: keep the recovery point inside it, so that the next flush also syncs
            // its index files (written on roll, not yet synced).
            point = min(point, max(plan.activeBaseOffset, plan.target - 1))
        }
        recoveryPoint = max(recoveryPoint, point)
        if recoveryPoint >= logEndOffset {
            unflushedMessages = 0
            firstUnflushedAppend = nil
        }
    }
}
