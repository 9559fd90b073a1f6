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
    }
    private let state = Mutex(State())

    public init() {}

    /// Returns when one of `partitions` is appended to, or after `timeoutMs`, whichever comes first.
    public func wait(for partitions: Set<TopicPartition>, timeoutMs: Int64) async {
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
                        self.state.withLock { s in
                            if cancelled { c.resume() } else { s.waiters[id] = Waiter(partitions: partitions, continuation: c) }
                        }
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
