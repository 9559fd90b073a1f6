import NIOCore

/// The cleaner's key → latest-offset map with a fixed memory budget (Kafka's `SkimpyOffsetMap`).
///
/// Keys are not stored: each slot holds a 128-bit hash of the key and the offset, 24 bytes, as Kafka's MD5-based
/// map does, so `log.cleaner.dedupe.buffer.size` bounds the memory whatever the key sizes. Two keys with the same
/// 128-bit hash would be treated as one (Kafka accepts the same risk). The map counts as full at
/// `loadFactor` (`log.cleaner.io.buffer.load.factor`, 0.9) of its slots; a log with more distinct dirty keys is
/// cleaned in several passes.
public struct OffsetMap: Sendable {
    /// Bytes per slot: two 64-bit hash words and the offset.
    public static let bytesPerEntry = 24

    /// Slot count.
    public let slots: Int
    /// Entries accepted before `isFull` (slots × load factor).
    public let capacity: Int
    /// Distinct keys stored.
    public private(set) var count = 0
    /// The largest offset put, -1 before any.
    public private(set) var latestOffset: Int64 = -1
    /// 3 words per slot: hash high, hash low, offset + 1 (0 marks an empty slot). Allocated on first use, so a
    /// cleaner thread with nothing to clean holds no map.
    private var table: [UInt64] = []

    /// A map using at most `memory` bytes (at least one slot).
    public init(memory: Int, loadFactor: Double = 0.9) {
        slots = max(1, memory / Self.bytesPerEntry)
        capacity = max(1, Int(Double(slots) * loadFactor))
    }

    /// Bytes the table occupies (0 until first used).
    public var memoryBytes: Int { table.count * 8 }

    /// Whether another new key would pass the load factor.
    public var isFull: Bool { count >= capacity }

    /// Forgets every entry, keeping the memory.
    public mutating func clear() {
        if table.isEmpty { table = Array(repeating: 0, count: slots * 3) }
        if count > 0 { table.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
        count = 0
        latestOffset = -1
    }

    /// Records `offset` as the latest for `key`. Returns false (and stores nothing) when the key is new and the
    /// map is full.
    @discardableResult
    public mutating func put(_ key: ByteBuffer, offset: Int64) -> Bool {
        if table.isEmpty { table = Array(repeating: 0, count: slots * 3) }
        let (high, low) = Self.hash(key)
        var slot = Int(truncatingIfNeeded: low % UInt64(slots))
        while true {
            let base = slot * 3
            if table[base + 2] == 0 {
                guard count < capacity else { return false }
                table[base] = high
                table[base + 1] = low
                table[base + 2] = UInt64(bitPattern: offset) &+ 1
                count += 1
                break
            }
            if table[base] == high && table[base + 1] == low {
                table[base + 2] = UInt64(bitPattern: offset) &+ 1
                break
            }
            slot = slot + 1 == slots ? 0 : slot + 1
        }
        latestOffset = max(latestOffset, offset)
        return true
    }

    /// The latest offset recorded for `key`, -1 when none.
    public func get(_ key: ByteBuffer) -> Int64 {
        guard !table.isEmpty else { return -1 }
        let (high, low) = Self.hash(key)
        var slot = Int(truncatingIfNeeded: low % UInt64(slots))
        for _ in 0..<slots {
            let base = slot * 3
            let stored = table[base + 2]
            if stored == 0 { return -1 }
            if table[base] == high && table[base + 1] == low { return Int64(bitPattern: stored &- 1) }
            slot = slot + 1 == slots ? 0 : slot + 1
        }
        return -1
    }

    /// A 128-bit hash of the key's bytes: two independent 64-bit multiply-xorshift hashes (seeded differently).
    static func hash(_ key: ByteBuffer) -> (UInt64, UInt64) {
        key.withUnsafeReadableBytes { bytes in
            (hash64(bytes, seed: 0x9E37_79B9_7F4A_7C15), hash64(bytes, seed: 0xC2B2_AE3D_27D4_EB4F))
        }
    }

    private static func hash64(_ bytes: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        var h = seed ^ (UInt64(bytes.count) &* 0xFF51_AFD7_ED55_8CCD)
        var i = 0
        while i + 8 <= bytes.count {
            let word = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = mix(h ^ mix(word &+ seed))
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < bytes.count {
            tail |= UInt64(bytes[i]) << shift
            shift += 8
            i += 1
        }
        h = mix(h ^ mix(tail ^ (seed >> 1)))
        return mix(h)
    }

    @inline(__always)
    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
