/// The Java client's default partitioning, so a key lands on the partition a Java producer, librdkafka with
/// `partitioner=murmur2_random` and kafkajs's default partitioner choose: `toPositive(murmur2(key)) %
/// partitionCount`. Records without a key stick to one partition until its batch is sent (KIP-480) and then
/// move to another, chosen at random among the partitions that have a leader.
public enum Partitioner {
    /// Kafka's `Utils.murmur2`: MurmurHash2, 32-bit, seed 0x9747b28c, little-endian blocks, as a signed int.
    public static func murmur2<Bytes: Collection>(_ data: Bytes) -> Int32 where Bytes.Element == UInt8 {
        let m: UInt32 = 0x5bd1_e995
        let bytes = Array(data)
        let length = bytes.count
        var h: UInt32 = 0x9747_b28c ^ UInt32(truncatingIfNeeded: length)
        var i = 0
        while i + 4 <= length {
            var k = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
            k = k &* m
            k ^= k >> 24
            k = k &* m
            h = h &* m
            h ^= k
            i += 4
        }
        let tail = length & ~3
        switch length % 4 {
        case 3:
            h ^= UInt32(bytes[tail + 2]) << 16
            h ^= UInt32(bytes[tail + 1]) << 8
            h ^= UInt32(bytes[tail])
            h = h &* m
        case 2:
            h ^= UInt32(bytes[tail + 1]) << 8
            h ^= UInt32(bytes[tail])
            h = h &* m
        case 1:
            h ^= UInt32(bytes[tail])
            h = h &* m
        default:
            break
        }
        h ^= h >> 13
        h = h &* m
        h ^= h >> 15
        return Int32(bitPattern: h)
    }

    /// Kafka's `Utils.toPositive`: the sign bit cleared (not `abs`, which overflows on Int32.min).
    public static func toPositive(_ n: Int32) -> Int32 { n & 0x7fff_ffff }

    /// The partition of a keyed record among `partitionCount` partitions.
    public static func partition<Bytes: Collection>(key: Bytes, partitionCount: Int32) -> Int32 where Bytes.Element == UInt8 {
        precondition(partitionCount > 0)
        return toPositive(murmur2(key)) % partitionCount
    }
}

/// The sticky choice for records without a key (KIP-480), per topic. Pure: the caller supplies the random draw.
public struct StickyPartitions: Sendable {
    private var current: [String: Int32] = [:]

    public init() {}

    /// The partition unkeyed records of `topic` go to now: the current sticky one, or a new one drawn from
    /// `available` (partitions with a leader; all partitions when none has) with `random(n)` in 0..<n.
    public mutating func partition(for topic: String, partitionCount: Int32, available: [Int32], random: (Int) -> Int) -> Int32 {
        if let p = current[topic], p < partitionCount { return p }
        let choices = available.isEmpty ? Array(0..<partitionCount) : available
        let p = choices[random(choices.count)]
        current[topic] = p
        return p
    }

    /// Called when a batch of `topic` on `partition` is complete: the next unkeyed record picks a different
    /// partition when there is one.
    public mutating func batchCompleted(topic: String, partition: Int32) {
        if current[topic] == partition { current[topic] = nil }
    }
}
