import KafkaStorage
import Synchronization

/// Wakes long-polling fetches when data is appended to a partition they read (Kafka's delayed fetch purgatory,
/// reduced to what a single replica needs).
public final class AppendNotifier: Sendable {
    private struct Waiter {
        var partitions: Set<TopicPartition>
        var continuation: CheckedContinuation<Void, Never>
    }
    private struct State {
        var nextId: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
        /// Appends seen per partition, so a fetch can tell whether data arrived between its read and its wait.
        var appends: [TopicPartition: UInt64] = [:]
    }
    private let state = Mutex(State())

    public init() {}

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
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                        let cancelled = Task.isCancelled
                        let resumeNow = self.state.withLock { s -> Bool in
                            let seen = partitions.reduce(UInt64(0)) { $0 &+ (s.appends[$1] ?? 0) }
                            if cancelled || (since != nil && seen != since) { return true }
                            s.waiters[id] = Waiter(partitions: partitions, continuation: c)
                            return false
                        }
                        if resumeNow { c.resume() }
                    }
                } onCancel: {
                    self.resume(id)
                }
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(timeoutMs))
            }
            await group.next()
            group.cancelAll()
        }
        resume(id)
    }

    /// Data was appended to `partition`: wake every fetch waiting on it.
    public func notify(_ partition: TopicPartition) {
        let woken = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.appends[partition, default: 0] &+= 1
            guard !s.waiters.isEmpty else { return [] }
            var out: [CheckedContinuation<Void, Never>] = []
            for (id, w) in s.waiters where w.partitions.contains(partition) {
                out.append(w.continuation)
                s.waiters[id] = nil
            }
            return out
        }
        for c in woken { c.resume() }
    }

    private func resume(_ id: UInt64) {
        let c = state.withLock { $0.waiters.removeValue(forKey: id) }
        c?.continuation.resume()
    }
}
