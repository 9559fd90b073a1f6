/// A min-heap of timed events; ties keep insertion order, so a run is a pure function of its seed. Shared by the
/// quorum's and the partition replication's simulations.
public struct EventQueue<Item> {
    private var heap: [(time: Int64, seq: UInt64, item: Item)] = []
    private var nextSeq: UInt64 = 0

    public init() {}

    public var isEmpty: Bool { heap.isEmpty }
    public var count: Int { heap.count }
    /// When the next event is due.
    public var peekTime: Int64? { heap.first?.time }

    public mutating func push(_ item: Item, at time: Int64) {
        heap.append((time, nextSeq, item))
        nextSeq += 1
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard less(i, parent) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    public mutating func pop() -> (time: Int64, item: Item)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && less(l, m) { m = l }
            if r < heap.count && less(r, m) { m = r }
            if m == i { break }
            heap.swapAt(i, m)
            i = m
        }
        return (top.time, top.item)
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        heap[a].time != heap[b].time ? heap[a].time < heap[b].time : heap[a].seq < heap[b].seq
    }
}
