import NIOCore
@testable import KafkaProtocol

/// A seeded generator of random field values (SplitMix64), so a failing case can be replayed from its seed.
struct ArbitraryGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + Int(next() % UInt64(r.count)) }
    mutating func chance(_ oneIn: Int) -> Bool { next() % UInt64(oneIn) == 0 }
    mutating func bool() -> Bool { next() & 1 == 1 }

    mutating func integer<T: FixedWidthInteger>(_: T.Type) -> T {
        // Mostly small values (the common case on the wire), sometimes extremes.
        switch next() % 4 {
        case 0: return T(truncatingIfNeeded: next() % 8)
        case 1: return T.min
        case 2: return T.max
        default: return T(truncatingIfNeeded: next())
        }
    }

    mutating func double() -> Double { Double(Int32(truncatingIfNeeded: next())) / 7 }

    mutating func string() -> String {
        let pool: [String] = ["a", "topic", "é", "日本", "-", "_", "0", "ü", " "]
        var s = ""
        for _ in 0..<int(0...4) { s += pool[int(0...(pool.count - 1))] }
        return s
    }

    mutating func bytes() -> ByteBuffer {
        var b = ByteBuffer()
        for _ in 0..<int(0...12) { b.writeInteger(UInt8(truncatingIfNeeded: next())) }
        return b
    }

    mutating func uuid() -> KafkaUUID { KafkaUUID(mostSignificantBits: next(), leastSignificantBits: next()) }

    mutating func array<T>(_ element: (inout ArbitraryGenerator) -> T) -> [T] {
        var out: [T] = []
        for _ in 0..<int(0...3) { out.append(element(&self)) }
        return out
    }
}

/// A schema struct that can make a random value laid out for a given version.
protocol ArbitraryKafkaStruct {
    static func arbitrary(version: Int16, using g: inout ArbitraryGenerator) -> Self
}
