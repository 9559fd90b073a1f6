/// A Kafka UUID: 128 bits, most significant half first on the wire.
///
/// Kafka writes UUIDs as text in URL-safe base64 without padding (22 characters); the all-zero UUID means "none".
public struct KafkaUUID: Hashable, Sendable, CustomStringConvertible {
    public var mostSignificantBits: UInt64
    public var leastSignificantBits: UInt64

    public init(mostSignificantBits: UInt64, leastSignificantBits: UInt64) {
        self.mostSignificantBits = mostSignificantBits
        self.leastSignificantBits = leastSignificantBits
    }

    /// The all-zero UUID (Kafka's `Uuid.ZERO_UUID`).
    public static let zero = KafkaUUID(mostSignificantBits: 0, leastSignificantBits: 0)

    /// Parses Kafka's 22-character URL-safe base64 form; nil when the text is not one.
    public init?(base64 text: String) {
        var bits: [UInt8] = []
        bits.reserveCapacity(17)
        var acc: UInt32 = 0
        var count = 0
        for ch in text.utf8 {
            guard let v = Self.decodeTable(ch) else { return nil }
            acc = (acc << 6) | UInt32(v)
            count += 6
            if count >= 8 {
                count -= 8
                bits.append(UInt8((acc >> UInt32(count)) & 0xFF))
            }
        }
        guard bits.count == 16 else { return nil }
        var hi: UInt64 = 0
        var lo: UInt64 = 0
        for i in 0..<8 { hi = (hi << 8) | UInt64(bits[i]) }
        for i in 8..<16 { lo = (lo << 8) | UInt64(bits[i]) }
        self.init(mostSignificantBits: hi, leastSignificantBits: lo)
    }

    /// Kafka's text form: URL-safe base64 of the 16 bytes, without padding.
    public var base64: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8((mostSignificantBits >> UInt64(shift)) & 0xFF)) }
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8((leastSignificantBits >> UInt64(shift)) & 0xFF)) }
        return Base64URL.encode(bytes)
    }

    public var description: String { base64 }

    private static func decodeTable(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return c - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return c - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0") + 52
        case UInt8(ascii: "-"): return 62
        case UInt8(ascii: "_"): return 63
        default: return nil
        }
    }
}

/// Base64 helpers shared by UUID text and the JSON printer.
public enum Base64URL {
    static let urlAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    static let stdAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// URL-safe base64 without padding.
    public static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        encode(bytes, alphabet: urlAlphabet, pad: false)
    }

    /// Standard base64 with padding (RFC 4648 section 4).
    public static func encodeStandard<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        encode(bytes, alphabet: stdAlphabet, pad: true)
    }

    private static func encode<C: Collection>(_ bytes: C, alphabet: [UInt8], pad: Bool) -> String
    where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var it = bytes.makeIterator()
        while let b0 = it.next() {
            let b1 = it.next()
            let b2 = it.next()
            let n = (UInt32(b0) << 16) | (UInt32(b1 ?? 0) << 8) | UInt32(b2 ?? 0)
            out.append(alphabet[Int((n >> 18) & 63)])
            out.append(alphabet[Int((n >> 12) & 63)])
            if b1 != nil { out.append(alphabet[Int((n >> 6) & 63)]) } else if pad { out.append(UInt8(ascii: "=")) }
            if b2 != nil { out.append(alphabet[Int(n & 63)]) } else if pad { out.append(UInt8(ascii: "=")) }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
