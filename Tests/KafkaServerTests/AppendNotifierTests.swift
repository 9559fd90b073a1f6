import KafkaStorage
import Synchronization
import Testing
@testable import KafkaServer

/// Parked fetches wake on an append to a partition they read, on their deadline, or at once when data came
/// between their read and their wait; nothing stays parked afterwards.
struct AppendNotifierTests {
    static let a = TopicPartition("a", 0)
    static let b = TopicPartition("b", 0)
    let a = Self.a
    let b = Self.b

    final class Woken: Sendable {
        let names = Mutex<[String]>([])
        func add(_ n: String) { names.withLock { $0.append(n) } }
        var all: [String] { names.withLock { $0 } }
    }

    /// Waits until `n` fetches are parked (the waiting tasks run concurrently with the test).
    func parked(_ notifier: AppendNotifier, _ n: Int) async {
        while notifier.parkedCount != n { await Task.yield() }
    }

    @Test func anAppendWakesTheFetchesOfItsPartitionOnly() async {
        let notifier = AppendNotifier()
        let woken = Woken()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await notifier.wait(for: [Self.a], since: notifier.appendCount([Self.a]), timeoutMs: 600_000)
                woken.add("a")
            }
            group.addTask {
                await notifier.wait(for: [Self.b], since: notifier.appendCount([Self.b]), timeoutMs: 600_000)
                woken.add("b")
            }
            await parked(notifier, 2)
            notifier.notify(a)
            while woken.all.isEmpty { await Task.yield() }
            #expect(woken.all == ["a"])
            #expect(notifier.parkedCount == 1)
            notifier.notify(b)
            await group.waitForAll()
        }
        #expect(woken.all.sorted() == ["a", "b"])
        #expect(notifier.parkedCount == 0)
    }

    @Test func aFetchOfSeveralPartitionsWakesOnceAndLeavesNoTrace() async {
        let notifier = AppendNotifier()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await notifier.wait(for: [Self.a, Self.b], since: notifier.appendCount([Self.a, Self.b]), timeoutMs: 600_000) }
            await parked(notifier, 1)
            notifier.notify(b)
            await group.waitForAll()
        }
        // A later append to the other partition finds nothing parked, and a new wait parks normally.
        notifier.notify(a)
        #expect(notifier.parkedCount == 0)
    }

    @Test func dataBetweenReadAndWaitReturnsAtOnce() async {
        let notifier = AppendNotifier()
        let seen = notifier.appendCount([a])
        notifier.notify(a)
        await notifier.wait(for: [a], since: seen, timeoutMs: 600_000)
        #expect(notifier.parkedCount == 0)
    }

    /// The deadline thread resumes a fetch nobody appends for (no timing is asserted, only that it returns).
    @Test func theDeadlineResumesAParkedFetch() async {
        let notifier = AppendNotifier()
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<20 {
                group.addTask { await notifier.wait(for: [Self.a], since: notifier.appendCount([Self.a]), timeoutMs: Int64(20 + i % 5)) }
            }
            await group.waitForAll()
        }
        #expect(notifier.parkedCount == 0)
    }

    @Test func theHeapPopsDeadlinesInOrder() {
        var heap = DeadlineHeap()
        let deadlines: [UInt64] = [50, 10, 40, 10, 30, 20, 60, 0]
        for (i, d) in deadlines.enumerated() { heap.insert(.init(deadline: d, id: UInt64(i))) }
        var out: [UInt64] = []
        while let m = heap.min { out.append(m.deadline); heap.removeMin() }
        #expect(out == deadlines.sorted())
    }
}
