/// A map that remembers use order and evicts the least recently used entries once a count or total-cost limit
/// is passed. Pure value type; `FileHandleCache` puts it behind a lock.
///
/// Nodes live in an array linked by index (no per-node allocation); freed slots are reused.
public struct LRUMap<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    struct Node: Sendable {
        var key: Key
        var value: Value?
        var cost: Int
        var previous: Int
        var next: Int
    }

    private var nodes: [Node] = []
    private var free: [Int] = []
    private var index: [Key: Int] = [:]
    private var head = -1  // most recently used
    private var tail = -1  // least recently used
    /// Entries beyond this many are evicted.
    public let maxCount: Int
    /// Entries are evicted while the total cost is above this.
    public let maxCost: Int
    /// Sum of the costs of the entries.
    public private(set) var totalCost = 0

    public init(maxCount: Int, maxCost: Int = .max) {
        self.maxCount = max(1, maxCount)
        self.maxCost = maxCost
    }

    /// Number of entries.
    public var count: Int { index.count }

    /// The value for `key`, marking it most recently used.
    public mutating func get(_ key: Key) -> Value? {
        guard let i = index[key] else { return nil }
        moveToFront(i)
        return nodes[i].value
    }

    /// Inserts or replaces; returns the evicted values (their owners may need to release them).
    @discardableResult
    public mutating func set(_ key: Key, _ value: Value, cost: Int = 0) -> [Value] {
        if let i = index[key] {
            totalCost += cost - nodes[i].cost
            nodes[i].value = value
            nodes[i].cost = cost
            moveToFront(i)
        } else {
            let node = Node(key: key, value: value, cost: cost, previous: -1, next: -1)
            let i: Int
            if let slot = free.popLast() {
                nodes[slot] = node
                i = slot
            } else {
                nodes.append(node)
                i = nodes.count - 1
            }
            index[key] = i
            totalCost += cost
            linkFront(i)
        }
        var evicted: [Value] = []
        while (index.count > maxCount || totalCost > maxCost), tail >= 0, tail != head || index.count > 1 {
            if let value = removeNode(tail) { evicted.append(value) }
        }
        return evicted
    }

    /// Removes `key`, returning its value.
    @discardableResult
    public mutating func remove(_ key: Key) -> Value? {
        guard let i = index[key] else { return nil }
        return removeNode(i)
    }

    /// Removes every entry whose key satisfies `predicate`.
    public mutating func removeAll(where predicate: (Key) -> Bool) {
        for (key, i) in index where predicate(key) { _ = removeNode(i) }
    }

    /// Keys from most to least recently used.
    public var keys: [Key] {
        var result: [Key] = []
        var i = head
        while i >= 0 {
            result.append(nodes[i].key)
            i = nodes[i].next
        }
        return result
    }

    private mutating func removeNode(_ i: Int) -> Value? {
        unlink(i)
        index[nodes[i].key] = nil
        totalCost -= nodes[i].cost
        let value = nodes[i].value
        nodes[i].value = nil
        free.append(i)
        return value
    }

    private mutating func moveToFront(_ i: Int) {
        guard head != i else { return }
        unlink(i)
        linkFront(i)
    }

    private mutating func linkFront(_ i: Int) {
        nodes[i].previous = -1
        nodes[i].next = head
        if head >= 0 { nodes[head].previous = i }
        head = i
        if tail < 0 { tail = i }
    }

    private mutating func unlink(_ i: Int) {
        let previous = nodes[i].previous
        let next = nodes[i].next
        if previous >= 0 { nodes[previous].next = next } else { head = next }
        if next >= 0 { nodes[next].previous = previous } else { tail = previous }
        nodes[i].previous = -1
        nodes[i].next = -1
    }
}
