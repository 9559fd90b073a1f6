import NIOCore

// The primitive encodings of Kafka's message schemas (see shared/kafka-protocol/README.md): big-endian integers,
// classic (int16/int32 length) and compact (unsigned varint length + 1) strings, bytes and arrays, UUIDs and
// tagged-field sections. Every reader throws ProtocolError on short or malformed input; none traps.

extension ByteBuffer {
    @inlinable
    mutating func kafkaReadInteger<T: FixedWidthInteger>(_ field: StaticString) throws -> T {
        guard let v: T = readInteger(endianness: .big, as: T.self) else { throw ProtocolError.truncated("\(field)") }
        return v
    }

    @inlinable
    mutating func kafkaReadBool(_ field: StaticString) throws -> Bool {
        guard let v: UInt8 = readInteger() else { throw ProtocolError.truncated("\(field)") }
        return v != 0
    }

    @inlinable
    mutating func kafkaReadFloat64(_ field: StaticString) throws -> Double {
        let bits: UInt64 = try kafkaReadInteger(field)
        return Double(bitPattern: bits)
    }

    @inlinable
    mutating func kafkaReadUUID(_ field: StaticString) throws -> KafkaUUID {
        let hi: UInt64 = try kafkaReadInteger(field)
        let lo: UInt64 = try kafkaReadInteger(field)
        return KafkaUUID(mostSignificantBits: hi, leastSignificantBits: lo)
    }

    /// An unsigned varint of at most 5 bytes (32 bits).
    @inlinable
    public mutating func kafkaReadUnsignedVarint(_ field: StaticString = "varint") throws -> UInt32 {
        var result: UInt32 = 0
        var shift: UInt32 = 0
        while true {
            guard let byte: UInt8 = readInteger() else { throw ProtocolError.truncated("\(field)") }
            if shift == 28 && byte > 0x0F { throw ProtocolError.invalid("\(field): varint longer than 32 bits") }
            result |= UInt32(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    @inlinable
    public mutating func kafkaWriteUnsignedVarint(_ value: UInt32) {
        var v = value
        while v >= 0x80 {
            writeInteger(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        writeInteger(UInt8(truncatingIfNeeded: v))
    }

    /// The length of a string, bytes or array: nil means null. Checks the length against what remains.
    @inlinable
    mutating func kafkaReadLength(compact: Bool, wide: Bool, _ field: StaticString) throws -> Int? {
        let n: Int
        if compact {
            let raw = try kafkaReadUnsignedVarint(field)
            if raw == 0 { return nil }
            n = Int(raw) - 1
        } else if wide {
            let raw: Int32 = try kafkaReadInteger(field)
            if raw < 0 { return nil }
            n = Int(raw)
        } else {
            let raw: Int16 = try kafkaReadInteger(field)
            if raw < 0 { return nil }
            n = Int(raw)
        }
        // Every element takes at least one byte, so a count larger than what remains is always corrupt;
        // refusing it here keeps a hostile count from driving a huge allocation or a long loop.
        guard n <= readableBytes else { throw ProtocolError.truncated("\(field): length \(n) exceeds remaining \(readableBytes) bytes") }
        return n
    }

    @inlinable
    mutating func kafkaReadNullableString(compact: Bool, _ field: StaticString) throws -> String? {
        guard let n = try kafkaReadLength(compact: compact, wide: false, field) else { return nil }
        return readString(length: n)!
    }

    @inlinable
    mutating func kafkaReadString(compact: Bool, _ field: StaticString) throws -> String {
        guard let s = try kafkaReadNullableString(compact: compact, field) else {
            throw ProtocolError.invalid("\(field): null for a non-nullable string")
        }
        return s
    }

    @inlinable
    mutating func kafkaReadNullableBytes(compact: Bool, _ field: StaticString) throws -> ByteBuffer? {
        guard let n = try kafkaReadLength(compact: compact, wide: true, field) else { return nil }
        return readSlice(length: n)!
    }

    @inlinable
    mutating func kafkaReadBytes(compact: Bool, _ field: StaticString) throws -> ByteBuffer {
        guard let b = try kafkaReadNullableBytes(compact: compact, field) else {
            throw ProtocolError.invalid("\(field): null for non-nullable bytes")
        }
        return b
    }

    @inlinable
    mutating func kafkaReadNullableArray<T>(
        compact: Bool, _ field: StaticString, _ element: (inout ByteBuffer) throws -> T
    ) throws -> [T]? {
        guard let n = try kafkaReadLength(compact: compact, wide: true, field) else { return nil }
        var out: [T] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try element(&self)) }
        return out
    }

    @inlinable
    mutating func kafkaReadArray<T>(
        compact: Bool, _ field: StaticString, _ element: (inout ByteBuffer) throws -> T
    ) throws -> [T] {
        guard let a = try kafkaReadNullableArray(compact: compact, field, element) else {
            throw ProtocolError.invalid("\(field): null for a non-nullable array")
        }
        return a
    }

    /// Reads the int8 marker of a nullable struct outside tagged fields: -1 null, otherwise present.
    @inlinable
    mutating func kafkaReadStructPresence(_ field: StaticString) throws -> Bool {
        let marker: Int8 = try kafkaReadInteger(field)
        return marker >= 0
    }

    /// Reads one tagged field's header and returns its tag and value bytes.
    @inlinable
    mutating func kafkaReadTaggedField() throws -> (UInt32, ByteBuffer) {
        let tag = try kafkaReadUnsignedVarint("tag")
        let size = Int(try kafkaReadUnsignedVarint("tagged field size"))
        guard let slice = readSlice(length: size) else { throw ProtocolError.truncated("tagged field \(tag)") }
        return (tag, slice)
    }

    // MARK: writing

    @inlinable
    mutating func kafkaWriteBool(_ v: Bool) { writeInteger(UInt8(v ? 1 : 0)) }

    @inlinable
    mutating func kafkaWriteFloat64(_ v: Double) { writeInteger(v.bitPattern, endianness: .big) }

    @inlinable
    mutating func kafkaWriteUUID(_ v: KafkaUUID) {
        writeInteger(v.mostSignificantBits, endianness: .big)
        writeInteger(v.leastSignificantBits, endianness: .big)
    }

    @inlinable
    mutating func kafkaWriteLength(_ n: Int?, compact: Bool, wide: Bool) {
        if compact {
            kafkaWriteUnsignedVarint(n.map { UInt32($0 + 1) } ?? 0)
        } else if wide {
            writeInteger(Int32(n ?? -1), endianness: .big)
        } else {
            writeInteger(Int16(n ?? -1), endianness: .big)
        }
    }

    /// Writes a string; a classic (int16-length) string longer than 32767 bytes cannot be written and throws.
    @inlinable
    mutating func kafkaWriteString(_ s: String?, compact: Bool) throws {
        guard let s else {
            kafkaWriteLength(nil, compact: compact, wide: false)
            return
        }
        let count = s.utf8.count
        guard compact || count <= Int(Int16.max) else {
            throw ProtocolError.invalid("string of \(count) bytes is longer than 32767, the limit of its encoding")
        }
        kafkaWriteLength(count, compact: compact, wide: false)
        writeString(s)
    }

    @inlinable
    mutating func kafkaWriteBytes(_ b: ByteBuffer?, compact: Bool) {
        guard var b else {
            kafkaWriteLength(nil, compact: compact, wide: true)
            return
        }
        kafkaWriteLength(b.readableBytes, compact: compact, wide: true)
        writeBuffer(&b)
    }

    @inlinable
    mutating func kafkaWriteArray<T>(_ a: [T]?, compact: Bool, _ element: (inout ByteBuffer, T) throws -> Void) rethrows {
        guard let a else {
            kafkaWriteLength(nil, compact: compact, wide: true)
            return
        }
        kafkaWriteLength(a.count, compact: compact, wide: true)
        for e in a { try element(&self, e) }
    }

    /// Writes a tagged-field section: the known fields (already encoded, with their tags) merged in ascending tag
    /// order with the unknown ones kept from decoding.
    @inlinable
    mutating func kafkaWriteTaggedFields(_ known: [TaggedField], unknown: [TaggedField]) {
        var all = known
        all.append(contentsOf: unknown)
        if all.count > 1 { all.sort { $0.tag < $1.tag } }
        kafkaWriteUnsignedVarint(UInt32(all.count))
        for var f in all {
            kafkaWriteUnsignedVarint(f.tag)
            kafkaWriteUnsignedVarint(UInt32(f.data.readableBytes))
            writeBuffer(&f.data)
        }
    }
}

/// Encodes a tagged field's value into its own buffer, so its size can be written before it.
@inlinable
func kafkaTagged(_ tag: UInt32, _ body: (inout ByteBuffer) throws -> Void) rethrows -> TaggedField {
    var b = ByteBuffer()
    try body(&b)
    return TaggedField(tag: tag, data: b)
}
