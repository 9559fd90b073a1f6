import KafkaStorage
import Synchronization

/// Wakes long-polling fetches when data is appended to a partition they read (Kafka's delayed fetch purgatory).
///
/// A parked fetch is a continuation, indexed by the partitions it reads, with its deadline on one shared
/// `DeadlineTimer` thread: no task, no sleeping child per long poll. An append wakes exactly the fetches of its
/// partition (no scan of the others), and they all resume from one lock hold.
public final class AppendNotifier: Sendable {
    private struct Waiter {
        var partitions: Set<TopicPartition>
        var continuation: CheckedContinuation<Void, Never>
    }
    private struct State {
        var nextId: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
        /// The ids parked on each partition; ids already woken through another partition are skipped (and dropped).
        var parked: [TopicPartition: [UInt64]] = [:]
        /// Appends seen per partition, so a fetch can tell whether data arrived between its read and its wait.
        var appends: [TopicPartition: UInt64] = [:]
    }
    private let state = Mutex(State())
    private let timer: Mutex<DeadlineTimer?> = Mutex(nil)

    public init() {}

    deinit { timer.withLock { $0?.stop() } }

    /// A count of the appends to `partitions` so far; pass it to `wait` to catch appends made after it was taken.
    public func appendCount(_ partitions: Set<TopicPartition>) -> UInt64 {
        state.withLock { s in partitions.reduce(0) { $0 &+ (s.appends[$1] ?? 0) } }
    }

    /// Returns when one of `partitions` is appended to (or already was since `since` was taken with
    /// `appendCount`), or after `timeoutMs`, whichever comes first.
    public func wait(for partitions: Set<TopicPartition>, since: UInt64? = nil, timeoutMs: Int64) async {
        guard timeoutMs > 0, !partitions.isEmpty else { return }
        let id = state.withLock { s -> UInt64 in
            s.nextId += 1
            return s.nextId
        }
        let deadline = DeadlineTimer.now() + UInt64(timeoutMs) * 1_000_000
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let cancelled = Task.isCancelled
                let resumeNow = state.withLock { s -> Bool in
                    let seen = partitions.reduce(UInt64(0)) { $0 &+ (s.appends[$1] ?? 0) }
                    if cancelled || (since != nil && seen != since) { return true }
                    s.waiters[id] = Waiter(partitions: partitions, continuation: c)
                    for tp in partitions { s.parked[tp, default: []].append(id) }
                    return false
                }
                if resumeNow {
                    c.resume()
                } else {
                    deadlineTimer().schedule(id, at: deadline)
                }
            }
        } onCancel: {
            self.resume([id])
        }
    }

    /// Data was appended to `partition`: wake every fetch waiting on it.
    public func notify(_ partition: TopicPartition) {
        let woken = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.appends[partition, default: 0] &+= 1
            guard let ids = s.parked.removeValue(forKey: partition) else { return [] }
            var out: [CheckedContinuation<Void, Never>] = []
            out.reserveCapacity(ids.count)
            for id in ids {
                guard let w = s.waiters.removeValue(forKey: id) else { continue }
                out.append(w.continuation)
                Self.unpark(id, from: w.partitions, except: partition, in: &s)
            }
            return out
        }
        for c in woken { c.resume() }
    }

    /// The fetches `ids` reached their deadline (or were cancelled): resume those still parked.
    private func resume(_ ids: [UInt64]) {
        let woken = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            ids.compactMap { id in
                guard let w = s.waiters.removeValue(forKey: id) else { return nil }
                Self.unpark(id, from: w.partitions, except: nil, in: &s)
                return w.continuation
            }
        }
        for c in woken { c.resume() }
    }

    /// Drops `id` from the parked lists of its other partitions, so that a partition nobody appends to does not
    /// collect the ids of fetches long gone.
    private static func unpark(_ id: UInt64, from partitions: Set<TopicPartition>, except: TopicPartition?, in s: inout State) {
        for tp in partitions where tp != except {
            guard var list = s.parked[tp], let i = list.firstIndex(of: id) else { continue }
            list.remove(at: i)
            s.parked[tp] = list.isEmpty ? nil : list
        }
    }

    /// Number of fetches parked now (tests).
    var parkedCount: Int { state.withLock { $0.waiters.count } }

    private func deadlineTimer() -> DeadlineTimer {
        timer.withLock { t in
            if let t { return t }
            let made = DeadlineTimer(name: "tributary-fetch-deadlines") { [weak self] ids in self?.resume(ids) }
            t = made
            return made
        }
    }
}
