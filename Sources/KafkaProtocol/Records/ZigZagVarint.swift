import NIOCore

// Zigzag-encoded signed varints (protobuf's sint32/sint64), the integer encoding inside magic-2 records.
// The schema codec's unsigned varints live in Primitives; these names are distinct on purpose.

/// Zigzag mapping and encoded sizes of the signed varints used inside magic-2 records.
public enum ZigZag {
    /// Maps a signed value to the unsigned form where small magnitudes stay small: 0, -1, 1, -2 ... -> 0, 1, 2, 3 ...
    @inlinable
    public static func encode(_ value: Int32) -> UInt32 {
        UInt32(bitPattern: (value << 1) ^ (value >> 31))
    }

    /// The inverse of `encode(_: Int32)`.
    @inlinable
    public static func decode(_ value: UInt32) -> Int32 {
        Int32(bitPattern: (value >> 1) ^ (0 &- (value & 1)))
    }

    /// 64-bit zigzag mapping.
    @inlinable
    public static func encode(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    /// The inverse of `encode(_: Int64)`.
    @inlinable
    public static func decode(_ value: UInt64) -> Int64 {
        Int64(bitPattern: (value >> 1) ^ (0 &- (value & 1)))
    }

    /// Bytes taken by `value` as a zigzag varint (1 to 5).
    @inlinable
    public static func size(ofVarInt32 value: Int32) -> Int {
        let bits = 32 - ZigZag.encode(value).leadingZeroBitCount
        return bits <= 7 ? 1 : (bits + 6) / 7
    }

    /// Bytes taken by `value` as a zigzag varlong (1 to 10).
    @inlinable
    public static func size(ofVarInt64 value: Int64) -> Int {
        let bits = 64 - ZigZag.encode(value).leadingZeroBitCount
        return bits <= 7 ? 1 : (bits + 6) / 7
    }
}

extension ByteBuffer {
    /// Reads a zigzag varint of at most 5 bytes and moves the reader index past it.
    ///
    /// Like Kafka's reader, bits of a fifth byte beyond 32 are dropped rather than rejected; a sixth byte is an
    /// error. On failure the reader index is left where it was.
    @inlinable
    public mutating func readZigZagVarInt32() throws -> Int32 {
        var raw: UInt32 = 0
        var index = readerIndex
        for shift in stride(from: UInt32(0), through: 28, by: 7) {
            guard let byte = getInteger(at: index, as: UInt8.self) else {
                throw ProtocolError.truncated("zigzag varint")
            }
            index += 1
            raw |= UInt32(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                moveReaderIndex(to: index)
                return ZigZag.decode(raw)
            }
        }
        throw ProtocolError.invalid("zigzag varint longer than 5 bytes")
    }

    /// Reads a zigzag varlong of at most 10 bytes and moves the reader index past it.
    @inlinable
    public mutating func readZigZagVarInt64() throws -> Int64 {
        var raw: UInt64 = 0
        var index = readerIndex
        for shift in stride(from: UInt64(0), through: 63, by: 7) {
            guard let byte = getInteger(at: index, as: UInt8.self) else {
                throw ProtocolError.truncated("zigzag varlong")
            }
            index += 1
            raw |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                moveReaderIndex(to: index)
                return ZigZag.decode(raw)
            }
        }
        throw ProtocolError.invalid("zigzag varlong longer than 10 bytes")
    }

    /// Appends `value` as a zigzag varint; returns the number of bytes written.
    @inlinable
    @discardableResult
    public mutating func writeZigZagVarInt32(_ value: Int32) -> Int {
        var v = ZigZag.encode(value)
        var written = 1
        while v >= 0x80 {
            writeInteger(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
            written += 1
        }
        writeInteger(UInt8(truncatingIfNeeded: v))
        return written
    }

    /// Appends `value` as a zigzag varlong; returns the number of bytes written.
    @inlinable
    @discardableResult
    public mutating func writeZigZagVarInt64(_ value: Int64) -> Int {
        var v = ZigZag.encode(value)
        var written = 1
        while v >= 0x80 {
            writeInteger(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
            written += 1
        }
        writeInteger(UInt8(truncatingIfNeeded: v))
        return written
    }
}
