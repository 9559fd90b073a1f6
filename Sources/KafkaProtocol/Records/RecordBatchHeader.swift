import NIOCore

/// How a record's timestamp was assigned.
public enum TimestampType: Int8, Sendable, Hashable {
    /// Legacy magic-0 messages carry no timestamp at all (Kafka's `NO_TIMESTAMP_TYPE`).
    case noTimestampType = -1
    /// The producer's clock.
    case createTime = 0
    /// The broker's clock at append; every record of the batch takes the batch's maxTimestamp.
    case logAppendTime = 1
}

/// The attributes of a magic-2 batch (header bytes 21-22). Only the low byte is meaningful; Kafka ignores the rest.
public struct RecordBatchAttributes: Hashable, Sendable, CustomStringConvertible {
    /// The attributes as they are on the wire.
    public var rawValue: Int16

    /// Attributes as read from the wire.
    public init(rawValue: Int16) { self.rawValue = rawValue }

    /// Composes attributes from their parts.
    public init(
        compression: CompressionCodec = .none, timestampType: TimestampType = .createTime,
        isTransactional: Bool = false, isControl: Bool = false, hasDeleteHorizon: Bool = false
    ) {
        rawValue = Int16(compression.rawValue)
        if timestampType == .logAppendTime { rawValue |= 0x08 }
        if isTransactional { rawValue |= 0x10 }
        if isControl { rawValue |= 0x20 }
        if hasDeleteHorizon { rawValue |= 0x40 }
    }

    /// Bits 0-2 as they are on the wire, including the values 5-7 that name no codec.
    public var compressionID: Int8 { Int8(rawValue & 0x07) }

    /// The codec of the records region, or nil when bits 0-2 name none (5-7: the batch is corrupt).
    public var compression: CompressionCodec? { CompressionCodec(rawValue: compressionID) }

    /// Bit 3. Magic-2 batches are always CreateTime or LogAppendTime.
    public var timestampType: TimestampType {
        get { rawValue & 0x08 == 0 ? .createTime : .logAppendTime }
        set { rawValue = (rawValue & ~0x08) | (newValue == .logAppendTime ? 0x08 : 0) }
    }

    /// Bit 4: the batch belongs to a transaction.
    public var isTransactional: Bool {
        get { rawValue & 0x10 != 0 }
        set { rawValue = newValue ? rawValue | 0x10 : rawValue & ~0x10 }
    }

    /// Bit 5: a control batch (transaction marker or KRaft control record), never handed to applications.
    public var isControl: Bool {
        get { rawValue & 0x20 != 0 }
        set { rawValue = newValue ? rawValue | 0x20 : rawValue & ~0x20 }
    }

    /// Bit 6: the log cleaner stored the delete horizon in baseTimestamp.
    public var hasDeleteHorizon: Bool {
        get { rawValue & 0x40 != 0 }
        set { rawValue = newValue ? rawValue | 0x40 : rawValue & ~0x40 }
    }

    public var description: String {
        var parts = ["codec=\(compression.map { "\($0)" } ?? "#\(compressionID)")", "\(timestampType)"]
        if isTransactional { parts.append("transactional") }
        if isControl { parts.append("control") }
        if hasDeleteHorizon { parts.append("deleteHorizon") }
        return parts.joined(separator: ",")
    }
}

/// A read-only view of the 61-byte header of a magic-2 record batch.
///
/// Creating one checks only that the header is present and that the magic byte is 2; every field is then read
/// from the underlying bytes on access, so nothing is copied and the records are not touched. The view's bytes
/// start at the batch's first byte and may hold only the header or the whole batch (then `validateCRC()` works).
public struct RecordBatchHeader: Hashable, Sendable {
    /// Size of the fixed header (Kafka's `RECORD_BATCH_OVERHEAD`).
    public static let size = 61
    /// The magic byte of this format.
    public static let magic: Int8 = 2
    /// Bytes before the batchLength field counts from (offset + length).
    public static let logOverhead = 12
    /// The smallest valid batchLength: a header with no records.
    public static let minimumBatchLength = Int32(size - logOverhead)

    /// Byte positions of the header fields, from the start of the batch.
    public enum Position {
        public static let baseOffset = 0
        public static let batchLength = 8
        public static let partitionLeaderEpoch = 12
        public static let magic = 16
        public static let crc = 17
        public static let attributes = 21
        public static let lastOffsetDelta = 23
        public static let baseTimestamp = 27
        public static let maxTimestamp = 35
        public static let producerId = 43
        public static let producerEpoch = 51
        public static let baseSequence = 53
        public static let recordsCount = 57
        /// Where the CRC-covered bytes start.
        public static let crcCoverageStart = attributes
    }

    /// The bytes the view reads; the readable region starts at the batch's first byte.
    public let bytes: ByteBuffer

    /// Views the header at the start of `buffer`'s readable bytes.
    ///
    /// Throws `.truncated` when fewer than 61 bytes are readable and `.invalid` when the magic byte is not 2 or the
    /// batchLength is too small to hold the header.
    public init(_ buffer: ByteBuffer) throws {
        guard buffer.readableBytes >= Self.size else {
            throw ProtocolError.truncated("record batch header (\(buffer.readableBytes) of \(Self.size) bytes)")
        }
        self.bytes = buffer
        guard magic == Self.magic else { throw ProtocolError.invalid("record batch magic \(magic), expected 2") }
        guard batchLength >= Self.minimumBatchLength else {
            throw ProtocolError.invalid("record batch length \(batchLength) below the \(Self.minimumBatchLength)-byte minimum")
        }
    }

    /// For callers that have already checked the size and magic.
    @usableFromInline
    init(unchecked buffer: ByteBuffer) { self.bytes = buffer }

    @inlinable
    func field<T: FixedWidthInteger>(_ position: Int, as: T.Type = T.self) -> T {
        // Safe: the initializer checked that all 61 header bytes are readable and `bytes` is immutable.
        bytes.getInteger(at: bytes.readerIndex + position, endianness: .big, as: T.self)!
    }

    /// The offset of the first record (the leader assigns it on append; producers send 0).
    public var baseOffset: Int64 { field(Position.baseOffset) }
    /// Bytes after the batchLength field.
    public var batchLength: Int32 { field(Position.batchLength) }
    /// The leader epoch at append time, -1 when none; outside the CRC.
    public var partitionLeaderEpoch: Int32 { field(Position.partitionLeaderEpoch) }
    /// Always 2 for a value that passed the initializer.
    public var magic: Int8 { field(Position.magic) }
    /// The stored CRC-32C of bytes 21 to the end of the batch.
    public var crc: UInt32 { field(Position.crc) }
    /// The batch attributes.
    public var attributes: RecordBatchAttributes { RecordBatchAttributes(rawValue: field(Position.attributes)) }
    /// The last record's offset minus baseOffset.
    public var lastOffsetDelta: Int32 { field(Position.lastOffsetDelta) }
    /// The first record's timestamp, or the delete horizon when `hasDeleteHorizon`.
    public var baseTimestamp: Int64 { field(Position.baseTimestamp) }
    /// The largest record timestamp, or the broker's clock for LogAppendTime.
    public var maxTimestamp: Int64 { field(Position.maxTimestamp) }
    /// -1 when the producer is not idempotent.
    public var producerId: Int64 { field(Position.producerId) }
    /// -1 when the producer is not idempotent.
    public var producerEpoch: Int16 { field(Position.producerEpoch) }
    /// The first record's sequence number, -1 when none.
    public var baseSequence: Int32 { field(Position.baseSequence) }
    /// The number of records (never compressed).
    public var recordsCount: Int32 { field(Position.recordsCount) }

    /// The codec of the records, nil when the attributes name an unknown one.
    public var compression: CompressionCodec? { attributes.compression }
    /// The timestamp type (attribute bit 3).
    public var timestampType: TimestampType { attributes.timestampType }
    /// Attribute bit 4.
    public var isTransactional: Bool { attributes.isTransactional }
    /// Attribute bit 5.
    public var isControl: Bool { attributes.isControl }
    /// Attribute bit 6.
    public var hasDeleteHorizon: Bool { attributes.hasDeleteHorizon }
    /// The delete horizon (baseTimestamp) when bit 6 is set.
    public var deleteHorizon: Int64? { hasDeleteHorizon ? baseTimestamp : nil }

    /// The whole batch's size in bytes (batchLength + 12).
    public var totalSize: Int { Int(batchLength) + Self.logOverhead }
    /// The offset of the last record (wrapping rather than trapping on hostile values).
    public var lastOffset: Int64 { baseOffset &+ Int64(lastOffsetDelta) }
    /// The offset after this batch.
    public var nextOffset: Int64 { lastOffset &+ 1 }
    /// The last record's sequence number, -1 when the batch has none; sequences wrap from Int32.max to 0.
    public var lastSequence: Int32 {
        baseSequence == -1 ? -1 : Self.incrementSequence(baseSequence, by: lastOffsetDelta)
    }
    /// Whether the view holds every byte of the batch.
    public var isComplete: Bool { bytes.readableBytes >= totalSize }

    /// Kafka's sequence arithmetic: int32 sequences wrap from 2147483647 to 0 (never to negative values).
    public static func incrementSequence(_ sequence: Int32, by increment: Int32) -> Int32 {
        if increment > 0, sequence > Int32.max - increment { return increment - (Int32.max - sequence) - 1 }
        return sequence &+ increment
    }

    /// The CRC-32C of bytes 21 to the end of the batch; nil when the view does not hold the whole batch.
    public func computeCRC() -> UInt32? {
        RecordBatchHeader.computeCRC(of: bytes, batchAt: bytes.readerIndex)
    }

    /// Throws `.corrupt` when the stored CRC does not match the bytes, `.truncated` when the view lacks the records.
    public func validateCRC() throws {
        guard let computed = computeCRC() else {
            throw ProtocolError.truncated("record batch (\(bytes.readableBytes) of \(totalSize) bytes)")
        }
        guard computed == crc else {
            throw ProtocolError.corrupt("record batch CRC stored \(hex(crc)), computed \(hex(computed))")
        }
    }
}

@usableFromInline
func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }

// MARK: - In-place patching

extension RecordBatchHeader {
    /// The CRC-32C a batch starting at `index` of `buffer` should carry, or nil when the batch is not entirely
    /// readable there.
    public static func computeCRC(of buffer: ByteBuffer, batchAt index: Int) -> UInt32? {
        guard index >= buffer.readerIndex,
              let length = buffer.getInteger(at: index + Position.batchLength, endianness: .big, as: Int32.self),
              length >= minimumBatchLength
        else { return nil }
        let end = index + logOverhead + Int(length)
        guard end <= buffer.writerIndex else { return nil }
        return buffer.withUnsafeReadableBytes { raw in
            let start = index - buffer.readerIndex + Position.crcCoverageStart
            return CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[start ..< end - buffer.readerIndex]))
        }
    }

    static func checkHeader(in buffer: ByteBuffer, at index: Int) throws {
        guard index >= buffer.readerIndex, index <= buffer.writerIndex - size else {
            throw ProtocolError.truncated("record batch header at \(index)")
        }
    }

    /// Overwrites baseOffset of the batch at `index`. baseOffset is outside the CRC, so nothing else changes.
    public static func setBaseOffset(_ offset: Int64, in buffer: inout ByteBuffer, batchAt index: Int) throws {
        try checkHeader(in: buffer, at: index)
        buffer.setInteger(offset, at: index + Position.baseOffset, endianness: .big)
    }

    /// Overwrites partitionLeaderEpoch of the batch at `index`; outside the CRC too.
    public static func setPartitionLeaderEpoch(_ epoch: Int32, in buffer: inout ByteBuffer, batchAt index: Int) throws {
        try checkHeader(in: buffer, at: index)
        buffer.setInteger(epoch, at: index + Position.partitionLeaderEpoch, endianness: .big)
    }

    /// Sets maxTimestamp and the timestamp-type bit of the batch at `index` and recomputes its CRC, as the
    /// leader does on append (LogAppendTime: the broker's clock; CreateTime: the largest record timestamp).
    /// Does nothing when both already hold those values, so an unchanged batch keeps its bytes.
    public static func setMaxTimestamp(
        _ timestamp: Int64, timestampType: TimestampType, in buffer: inout ByteBuffer, batchAt index: Int
    ) throws {
        try checkHeader(in: buffer, at: index)
        guard timestampType != .noTimestampType else {
            throw ProtocolError.invalid("a magic-2 batch needs CreateTime or LogAppendTime")
        }
        let view = RecordBatchHeader(unchecked: buffer.getSlice(at: index, length: buffer.writerIndex - index)!)
        guard view.magic == magic else { throw ProtocolError.invalid("record batch magic \(view.magic), expected 2") }
        guard view.isComplete, view.batchLength >= minimumBatchLength else {
            throw ProtocolError.truncated("record batch at \(index)")
        }
        var attributes = view.attributes
        if view.maxTimestamp == timestamp && attributes.timestampType == timestampType { return }
        attributes.timestampType = timestampType
        buffer.setInteger(attributes.rawValue, at: index + Position.attributes, endianness: .big)
        buffer.setInteger(timestamp, at: index + Position.maxTimestamp, endianness: .big)
        let crc = computeCRC(of: buffer, batchAt: index)!
        buffer.setInteger(crc, at: index + Position.crc, endianness: .big)
    }
}
