import NIOCore

/// One entry of a legacy message set (magic 0 or 1): `offset int64 | messageSize int32 | message`, with the
/// message `crc uint32 | magic int8 | attributes int8 | [timestamp int64, magic 1] | key int32-bytes | value
/// int32-bytes`. Key and value are slices of the entry; nothing is copied.
public struct LegacyMessage: Hashable, Sendable {
    /// Offset and size fields before the message.
    public static let logOverhead = 12
    /// Smallest message (after the size field) in magic 0: crc, magic, attributes, two lengths.
    public static let minimumMessageSizeV0 = 14
    /// Smallest message in magic 1 (adds the timestamp).
    public static let minimumMessageSizeV1 = 22

    /// The whole entry, offset field included.
    public let entry: ByteBuffer
    /// The entry's offset: absolute, relative inside a magic-1 compressed wrapper, or (deep iteration) resolved.
    public var offset: Int64
    /// 0 or 1.
    public let magic: Int8
    /// The attributes byte.
    public let attributes: Int8
    /// The stored CRC-32 (IEEE) of magic through the end of the message.
    public let crc: UInt32
    /// The timestamp (magic 1), -1 in magic 0. Deep iteration applies a LogAppendTime wrapper's timestamp.
    public var timestamp: Int64
    /// The timestamp type: none in magic 0, from bit 3 in magic 1 (or from the wrapper, in deep iteration).
    public var timestampType: TimestampType
    /// The key, nil when null.
    public let key: ByteBuffer?
    /// The value, nil when null; a compressed message's value holds the inner message set.
    public let value: ByteBuffer?

    /// Parses the entry at the start of `buffer`'s readable bytes (bytes after it are ignored). Checks the
    /// structure, not the CRC.
    public init(_ buffer: ByteBuffer) throws {
        var reader = buffer
        guard let offset = reader.readInteger(endianness: .big, as: Int64.self),
              let size = reader.readInteger(endianness: .big, as: Int32.self)
        else { throw ProtocolError.truncated("legacy message offset and size") }
        guard size >= LegacyMessage.minimumMessageSizeV0 else { throw ProtocolError.invalid("legacy message size \(size)") }
        guard var message = reader.readSlice(length: Int(size)) else {
            throw ProtocolError.truncated("legacy message of \(size) bytes, \(reader.readableBytes) present")
        }
        let crc = message.readInteger(endianness: .big, as: UInt32.self)!
        let magic = message.readInteger(as: Int8.self)!
        let attributes = message.readInteger(as: Int8.self)!
        guard magic == 0 || magic == 1 else { throw ProtocolError.invalid("legacy message magic \(magic)") }
        var timestamp: Int64 = -1
        var timestampType = TimestampType.noTimestampType
        if magic == 1 {
            guard size >= LegacyMessage.minimumMessageSizeV1 else { throw ProtocolError.invalid("magic 1 message size \(size)") }
            timestamp = message.readInteger(endianness: .big, as: Int64.self)!
            timestampType = attributes & 0x08 != 0 ? .logAppendTime : .createTime
        }
        let codecID = attributes & 0x07
        guard codecID <= CompressionCodec.lz4.rawValue else {
            throw ProtocolError.invalid("legacy message compression id \(codecID) (zstd needs magic 2)")
        }
        let key = try LegacyMessage.readBytes(&message, "legacy message key")
        let value = try LegacyMessage.readBytes(&message, "legacy message value")
        guard message.readableBytes == 0 else {
            throw ProtocolError.invalid("legacy message has \(message.readableBytes) bytes after its value")
        }
        self.entry = buffer.getSlice(at: buffer.readerIndex, length: LegacyMessage.logOverhead + Int(size))!
        self.offset = offset
        self.magic = magic
        self.attributes = attributes
        self.crc = crc
        self.timestamp = timestamp
        self.timestampType = timestampType
        self.key = key
        self.value = value
    }

    private static func readBytes(_ message: inout ByteBuffer, _ what: StaticString) throws -> ByteBuffer? {
        guard let length = message.readInteger(endianness: .big, as: Int32.self) else { throw ProtocolError.truncated("\(what) length") }
        // Kafka reads any negative length as null.
        guard length >= 0 else { return nil }
        guard let bytes = message.readSlice(length: Int(length)) else { throw ProtocolError.truncated("\(what)") }
        return bytes
    }

    /// The codec named by attribute bits 0-2 (never zstd: the initializer rejects it).
    public var compression: CompressionCodec { CompressionCodec(rawValue: attributes & 0x07)! }
    /// Whether the value holds a compressed inner message set.
    public var isCompressed: Bool { compression != .none }
    /// The size of the entry, offset and size fields included.
    public var sizeInBytes: Int { entry.readableBytes }

    /// The CRC-32 of magic through the end of the message.
    public func computeCRC() -> UInt32 {
        let start = entry.readerIndex + LegacyMessage.logOverhead + 4
        return legacyMessageCRC(entry, from: start)
    }

    /// Throws `.corrupt` when the stored CRC does not match.
    public func validateCRC() throws {
        let computed = computeCRC()
        guard computed == crc else {
            throw ProtocolError.corrupt("legacy message CRC stored \(hex(crc)), computed \(hex(computed))")
        }
    }
}

/// CRC-32 (IEEE) of `buffer` from absolute index `start` to its writer index.
func legacyMessageCRC(_ buffer: ByteBuffer, from start: Int) -> UInt32 {
    buffer.withUnsafeReadableBytes { raw in
        CRC32.checksum(UnsafeRawBufferPointer(rebasing: raw[(start - buffer.readerIndex)...]))
    }
}

/// Splits a legacy message set into its entries as they are (compressed wrappers are not opened; see
/// `LegacyDeepIterator`). Like `RecordBatchIterator`, an incomplete trailing entry ends the iteration and is
/// kept in `incompleteTail`; Fetch v0-v3 responses can end with one.
public struct LegacyMessageSetIterator: Sendable {
    private var remaining: ByteBuffer
    private let maxMessageSize: Int

    /// Bytes of a trailing entry that the set does not hold entirely; set once `next()` returned nil.
    public private(set) var incompleteTail: ByteBuffer?

    /// - Parameters:
    ///   - messageSet: the set; its readable bytes are split.
    ///   - maxMessageSize: larger messages are `.invalid`; Int.max disables the check.
    public init(_ messageSet: ByteBuffer, maxMessageSize: Int = .max) {
        self.remaining = messageSet
        self.maxMessageSize = maxMessageSize
    }

    /// The next entry, or nil at the end or at an incomplete trailing entry.
    public mutating func next() throws -> LegacyMessage? {
        let available = remaining.readableBytes
        if available == 0 { return nil }
        // As Kafka, judge only once everything up to the magic byte is present.
        guard available > RecordBatchHeader.Position.magic else {
            incompleteTail = remaining
            remaining.moveReaderIndex(forwardBy: available)
            return nil
        }
        let size = remaining.getInteger(at: remaining.readerIndex + 8, endianness: .big, as: Int32.self)!
        guard size >= LegacyMessage.minimumMessageSizeV0 else { throw ProtocolError.invalid("legacy message size \(size)") }
        guard Int(size) <= maxMessageSize else {
            throw ProtocolError.invalid("legacy message of \(size) bytes exceeds the \(maxMessageSize)-byte limit")
        }
        let total = LegacyMessage.logOverhead + Int(size)
        guard total <= available else {
            incompleteTail = remaining
            remaining.moveReaderIndex(forwardBy: available)
            return nil
        }
        let entry = remaining.readSlice(length: total)!
        return try LegacyMessage(entry)
    }
}

/// Iterates a legacy message set with compressed wrappers opened: yields plain messages only, with absolute
/// offsets (magic 1 inner offsets are relative: absolute = wrapper offset - last inner offset + inner offset;
/// when that base would be negative, as with the wrapper offset 0 some librdkafka versions send, the inner
/// offsets are kept as they are, like Kafka does) and with a LogAppendTime wrapper's timestamp applied.
/// Checks every CRC when asked.
public struct LegacyDeepIterator: Sendable {
    private var outer: LegacyMessageSetIterator
    private var inner: LegacyMessageSetIterator?
    private var innerBase: Int64?
    private var innerMagic: Int8 = 0
    private var wrapperLogAppendTime: Int64?
    private let maxDecompressedBytes: Int
    private let validateCRC: Bool

    /// The outer set's incomplete trailing entry, once iteration ended.
    public var incompleteTail: ByteBuffer? { outer.incompleteTail }

    /// - Parameters:
    ///   - validateCRC: check the CRC of every wrapper and inner message.
    ///   - maxDecompressedBytes: a wrapper's inner set may not decompress to more than this.
    public init(_ messageSet: ByteBuffer, validateCRC: Bool = true, maxDecompressedBytes: Int = RecordBatch.defaultMaxDecompressedBytes) {
        self.outer = LegacyMessageSetIterator(messageSet)
        self.maxDecompressedBytes = maxDecompressedBytes
        self.validateCRC = validateCRC
    }

    /// The next plain message, or nil at the end (or at an incomplete trailing entry of the outer set).
    public mutating func next() throws -> LegacyMessage? {
        while true {
            if inner != nil {
                if var message = try inner!.next() {
                    if validateCRC { try message.validateCRC() }
                    guard message.magic == innerMagic else {
                        throw ProtocolError.invalid("inner message magic \(message.magic) in a magic \(innerMagic) wrapper")
                    }
                    guard !message.isCompressed else { throw ProtocolError.invalid("nested compressed legacy message") }
                    if let base = innerBase { message.offset = base &+ message.offset }
                    if let time = wrapperLogAppendTime {
                        message.timestamp = time
                        message.timestampType = .logAppendTime
                    }
                    return message
                }
                if inner!.incompleteTail != nil { throw ProtocolError.truncated("inner legacy message set") }
                inner = nil
            }
            guard let message = try outer.next() else { return nil }
            if validateCRC { try message.validateCRC() }
            guard message.isCompressed else { return message }
            try open(message)
        }
    }

    private mutating func open(_ wrapper: LegacyMessage) throws {
        let innerSet = try LegacyMessageSet.decompress(wrapper, maxDecompressedBytes: maxDecompressedBytes)
        // Relative offsets need the last inner offset before the first message is handed out.
        var scan = LegacyMessageSetIterator(innerSet)
        var last: Int64?
        while let message = try scan.next() { last = message.offset }
        guard let last, scan.incompleteTail == nil else {
            throw ProtocolError.invalid("compressed legacy message holds no complete inner message set")
        }
        innerBase = nil
        if wrapper.magic == 1 {
            let (base, overflow) = wrapper.offset.subtractingReportingOverflow(last)
            if !overflow && base >= 0 { innerBase = base }
        }
        innerMagic = wrapper.magic
        wrapperLogAppendTime = wrapper.timestampType == .logAppendTime ? wrapper.timestamp : nil
        inner = LegacyMessageSetIterator(innerSet)
    }
}

/// Helpers for legacy message sets.
public enum LegacyMessageSet {
    /// The decompressed inner message set of a compressed wrapper message.
    public static func decompress(_ wrapper: LegacyMessage, maxDecompressedBytes: Int = RecordBatch.defaultMaxDecompressedBytes) throws -> ByteBuffer {
        guard wrapper.isCompressed else { throw ProtocolError.invalid("legacy message is not compressed") }
        guard let value = wrapper.value else { throw ProtocolError.invalid("compressed legacy message with a null value") }
        do {
            return try wrapper.compression.decompress(value, maxOutputBytes: maxDecompressedBytes)
        } catch let error as ProtocolError {
            throw error
        } catch {
            throw ProtocolError.corrupt("legacy message set: \(error)")
        }
    }

    /// Appends one message entry, computing its CRC.
    ///
    /// - Parameters:
    ///   - attributes: codec in bits 0-2, timestamp type in bit 3 (magic 1).
    ///   - timestamp: written in magic 1 only.
    public static func writeMessage(
        offset: Int64, magic: Int8, attributes: Int8, timestamp: Int64, key: ByteBuffer?, value: ByteBuffer?,
        into out: inout ByteBuffer
    ) throws {
        guard magic == 0 || magic == 1 else { throw ProtocolError.invalid("legacy magic \(magic)") }
        let size = (magic == 1 ? LegacyMessage.minimumMessageSizeV1 : LegacyMessage.minimumMessageSizeV0)
            + (key?.readableBytes ?? 0) + (value?.readableBytes ?? 0)
        guard let size32 = Int32(exactly: size) else { throw ProtocolError.invalid("legacy message of \(size) bytes") }
        out.writeInteger(offset, endianness: .big)
        out.writeInteger(size32, endianness: .big)
        let crcAt = out.writerIndex
        out.writeInteger(UInt32(0))
        out.writeInteger(magic)
        out.writeInteger(attributes)
        if magic == 1 { out.writeInteger(timestamp, endianness: .big) }
        func write(_ bytes: ByteBuffer?) {
            guard let bytes else {
                out.writeInteger(Int32(-1), endianness: .big)
                return
            }
            out.writeInteger(Int32(bytes.readableBytes), endianness: .big)
            out.writeImmutableBuffer(bytes)
        }
        write(key)
        write(value)
        let crc = legacyMessageCRC(out, from: crcAt + 4)
        out.setInteger(crc, at: crcAt, endianness: .big)
    }
}

/// Builds a legacy message set: plain messages, or one compressed wrapper holding them.
///
/// Compressed sets follow Kafka's producer: inner offsets absolute in magic 0 and relative (0, 1, ...) in
/// magic 1; the wrapper's offset is the last inner absolute offset, its key null, its timestamp the largest
/// inner timestamp (or the log-append time). LZ4 in magic 0 gets the frame-descriptor checksum old clients
/// expect (computed over the frame magic too, KIP-57).
public struct LegacyMessageSetBuilder: Sendable {
    /// 0 or 1.
    public let magic: Int8
    /// The wrapper's codec; `.none` writes plain messages.
    public let compression: CompressionCodec
    /// Magic 1 only: when set, the LogAppendTime type and this timestamp go on every plain message and on the wrapper.
    public let logAppendTime: Int64?
    private var messages: ByteBuffer = ByteBuffer()
    private var lastOffset: Int64 = -1
    private var firstOffset: Int64?
    private var maxTimestamp: Int64 = -1
    private var count = 0

    /// Throws `.invalid` for a magic other than 0 or 1, zstd, or a log-append time in magic 0.
    public init(magic: Int8, compression: CompressionCodec = .none, logAppendTime: Int64? = nil) throws {
        guard magic == 0 || magic == 1 else { throw ProtocolError.invalid("legacy magic \(magic)") }
        guard compression != .zstd else { throw ProtocolError.invalid("zstd needs magic 2") }
        guard logAppendTime == nil || magic == 1 else { throw ProtocolError.invalid("magic 0 has no timestamps") }
        self.magic = magic
        self.compression = compression
        self.logAppendTime = logAppendTime
    }

    /// Appends a message. `offset` defaults to the previous one + 1 (0 first); `timestamp` is ignored in magic 0.
    /// `attributes` lets a decoded plain message be written back as it was (bits 0-2 must be 0).
    public mutating func append(offset: Int64? = nil, timestamp: Int64 = -1, key: ByteBuffer?, value: ByteBuffer?, attributes: Int8? = nil) throws {
        let offset = offset ?? (lastOffset &+ 1)
        var attrs = attributes ?? (logAppendTime != nil && compression == .none ? 0x08 : 0)
        guard attrs & 0x07 == 0 else { throw ProtocolError.invalid("inner legacy messages cannot be compressed") }
        if magic == 0 { attrs &= ~0x08 }
        let stamp = compression == .none ? (logAppendTime ?? timestamp) : timestamp
        let written = compression != .none && magic == 1 ? Int64(count) : offset
        try LegacyMessageSet.writeMessage(
            offset: written, magic: magic, attributes: attrs, timestamp: stamp, key: key, value: value, into: &messages)
        if firstOffset == nil { firstOffset = offset }
        lastOffset = offset
        maxTimestamp = max(maxTimestamp, timestamp)
        count += 1
    }

    /// Messages appended so far.
    public var messagesCount: Int { count }

    /// The finished message set (for a compressed set: one wrapper entry).
    public func build() throws -> ByteBuffer {
        guard compression != .none else { return messages }
        guard count > 0 else { return ByteBuffer() }
        var compressed = ByteBuffer()
        do {
            try compression.compress(messages, into: &compressed)
        } catch let error as ProtocolError {
            throw error
        } catch {
            throw ProtocolError.invalid("compressing legacy message set: \(error)")
        }
        if compression == .lz4 && magic == 0 { LegacyMessageSetBuilder.useMagic0LZ4Checksum(&compressed) }
        var attributes = compression.rawValue
        if logAppendTime != nil { attributes |= 0x08 }
        var out = ByteBuffer()
        try LegacyMessageSet.writeMessage(
            offset: lastOffset, magic: magic, attributes: attributes, timestamp: logAppendTime ?? maxTimestamp,
            key: nil, value: compressed, into: &out)
        return out
    }

    /// Rewrites the frame-descriptor checksum of the LZ4 frame at the start of `frame` the way Kafka's magic-0
    /// writer did: the second byte of xxh32 over the frame magic and the descriptor (the standard covers only the
    /// descriptor). The compression codec writes the standard form, so the legacy writer patches it here.
    static func useMagic0LZ4Checksum(_ frame: inout ByteBuffer) {
        let start = frame.readerIndex
        guard frame.readableBytes >= 7, let flags = frame.getInteger(at: start + 4, as: UInt8.self) else { return }
        let descriptorEnd = 6 + (flags & 0x08 != 0 ? 8 : 0) + (flags & 0x01 != 0 ? 4 : 0)
        guard frame.readableBytes > descriptorEnd else { return }
        let checksum = frame.withUnsafeReadableBytes { raw in
            UInt8(truncatingIfNeeded: XXH32.hash(UnsafeRawBufferPointer(rebasing: raw[0 ..< descriptorEnd])) >> 8)
        }
        frame.setInteger(checksum, at: start + descriptorEnd)
    }
}
