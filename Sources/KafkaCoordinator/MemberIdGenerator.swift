/// Deterministic source of member ids (`clientId-<uuid>` as Kafka forms them).
///
/// The coordinator is pure: the driver seeds this once (from system randomness at the edge, or from a test
/// seed), and every id then follows from the seed and the order of joins.
public struct MemberIdGenerator: Sendable, Hashable {
    private var state: UInt64

    public init(seed: UInt64) { self.state = seed }

    /// SplitMix64: small, fast and good enough for unique ids (they need not be secret).
    private mutating func nextWord() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A random (version 4) UUID in the 36-character text form Java's `UUID.toString()` prints.
    public mutating func nextUUID() -> String {
        var hi = nextWord()
        var lo = nextWord()
        hi = (hi & ~0xF000) | 0x4000                       // version 4
        lo = (lo & ~(0xC000_0000_0000_0000)) | 0x8000_0000_0000_0000  // IETF variant
        func hex(_ v: UInt64, _ digits: Int) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: max(0, digits - s.count)) + s
        }
        return "\(hex(hi >> 32, 8))-\(hex((hi >> 16) & 0xFFFF, 4))-\(hex(hi & 0xFFFF, 4))-"
            + "\(hex(lo >> 48, 4))-\(hex(lo & 0xFFFF_FFFF_FFFF, 12))"
    }

    /// A new member id: the client id, a dash and a UUID, as Kafka's classic protocol builds it.
    public mutating func next(clientId: String) -> String {
        "\(clientId)-\(nextUUID())"
    }
}
