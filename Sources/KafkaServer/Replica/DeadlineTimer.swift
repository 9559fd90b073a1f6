import Dispatch
import Foundation

/// One thread that fires deadlines: parked fetches register (id, deadline) and the thread hands the expired ids to
/// `onExpire`, in batches. Registering a deadline that is not the new earliest wakes nobody — long polls mostly
/// share one `max.wait.ms`, so their deadlines arrive in order and a registration costs one uncontended lock.
///
/// Entries are never cancelled: a waiter woken by data leaves its entry, and its expiry finds nothing to resume.
/// This replaces a task group with a sleeping child task per long poll (two tasks and a timer each).
final class DeadlineTimer: @unchecked Sendable {
    // @unchecked: `heap` and `running` are only touched with `condition` locked.
    private let condition = NSCondition()
    private var heap = DeadlineHeap()
    private var running = true
    private let onExpire: @Sendable ([UInt64]) -> Void

    /// Starts the timer thread; `onExpire` runs on it with the ids whose deadline passed.
    init(name: String, onExpire: @escaping @Sendable ([UInt64]) -> Void) {
        self.onExpire = onExpire
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    /// Now on the monotonic clock the deadlines use, in nanoseconds.
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Fires `id` at `deadline` (monotonic nanoseconds, `now()`'s clock).
    func schedule(_ id: UInt64, at deadline: UInt64) {
        condition.lock()
        let earliest = heap.min?.deadline
        heap.insert(.init(deadline: deadline, id: id))
        if earliest.map({ deadline < $0 }) ?? true { condition.signal() }
        condition.unlock()
    }

    /// Stops the thread (the entries left never fire).
    func stop() {
        condition.lock()
        running = false
        condition.signal()
        condition.unlock()
    }

    private func run() {
        condition.lock()
        while running {
            guard let next = heap.min else {
                condition.wait()
                continue
            }
            let now = Self.now()
            if next.deadline > now {
                _ = condition.wait(until: Date(timeIntervalSinceNow: Double(next.deadline - now) / 1e9))
                continue
            }
            var expired: [UInt64] = []
            while let e = heap.min, e.deadline <= now {
                expired.append(e.id)
                heap.removeMin()
            }
            condition.unlock()
            onExpire(expired)
            condition.lock()
        }
        condition.unlock()
    }
}

/// A binary min-heap of deadlines.
struct DeadlineHeap {
    struct Entry {
        var deadline: UInt64
        var id: UInt64
    }

    private var items: [Entry] = []

    var min: Entry? { items.first }
    var count: Int { items.count }

    mutating func insert(_ e: Entry) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i].deadline < items[parent].deadline else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func removeMin() {
        guard !items.isEmpty else { return }
        items.swapAt(0, items.count - 1)
        items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < items.count, items[l].deadline < items[smallest].deadline { smallest = l }
            if r < items.count, items[r].deadline < items[smallest].deadline { smallest = r }
            guard smallest != i else { return }
            items.swapAt(i, smallest)
            i = smallest
        }
    }
}
