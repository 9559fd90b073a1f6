import NIOCore

/// One record of a magic-2 batch. Key, value and headers are slices of the batch (or of its decompressed
/// records), so decoding a record allocates nothing.
public struct Record: Hashable, Sendable {
    /// The record attributes byte (unused by Kafka, normally 0; kept so re-encoding reproduces it).
    public var attributes: Int8
    /// timestamp - baseTimestamp, as stored.
    public var timestampDelta: Int64
    /// offset - baseOffset, as stored.
    public var offsetDelta: Int32
    /// The absolute offset: baseOffset + offsetDelta.
    public var offset: Int64
    /// The record's timestamp: baseTimestamp + timestampDelta, or the batch's maxTimestamp for LogAppendTime.
    public var timestamp: Int64
    /// The key, nil for a null key.
    public var key: ByteBuffer?
    /// The value, nil for a null value (a tombstone).
    public var value: ByteBuffer?
    /// The headers, in order.
    public var headers: RecordHeaders
    /// Bytes the record takes in the batch, its length varint included.
    public var sizeInBytes: Int

    /// A record with every field given (tests and tools; iteration creates them from the batch).
    public init(
        attributes: Int8 = 0, timestampDelta: Int64, offsetDelta: Int32, offset: Int64, timestamp: Int64,
        key: ByteBuffer?, value: ByteBuffer?, headers: RecordHeaders = .empty, sizeInBytes: Int = 0
    ) {
        self.attributes = attributes
        self.timestampDelta = timestampDelta
        self.offsetDelta = offsetDelta
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
        self.sizeInBytes = sizeInBytes
    }
}

/// One record header. The key is kept as its UTF-8 bytes; `key` decodes it on demand.
public struct RecordHeader: Hashable, Sendable {
    /// The key's UTF-8 bytes (header keys are never null).
    public var keyBytes: ByteBuffer
    /// The value, nil for a null value.
    public var value: ByteBuffer?

    /// A header whose key is already UTF-8 bytes.
    public init(keyBytes: ByteBuffer, value: ByteBuffer?) {
        self.keyBytes = keyBytes
        self.value = value
    }

    /// A header with a string key.
    public init(key: String, value: ByteBuffer?) {
        self.init(keyBytes: ByteBuffer(string: key), value: value)
    }

    /// The key as a string (invalid UTF-8 is repaired, as Java's decoder does).
    public var key: String { String(decoding: keyBytes.readableBytesView, as: UTF8.self) }
}

/// The headers of a record: a validated view over their encoded bytes, decoded one by one while iterating.
public struct RecordHeaders: Sequence, Hashable, Sendable {
    /// Number of headers.
    public let count: Int
    /// The encoded headers (without the count).
    public let bytes: ByteBuffer

    /// No headers.
    public static let empty = RecordHeaders(uncheckedCount: 0, bytes: ByteBuffer())

    init(uncheckedCount: Int, bytes: ByteBuffer) {
        self.count = uncheckedCount
        self.bytes = bytes
    }

    /// Validates `count` headers at the start of `bytes` and keeps exactly their bytes.
    public init(count: Int, validating bytes: ByteBuffer) throws {
        guard count >= 0 else { throw ProtocolError.invalid("negative record header count \(count)") }
        var cursor = bytes
        for _ in 0 ..< count { _ = try RecordHeaders.readHeader(&cursor) }
        self.count = count
        self.bytes = bytes.getSlice(at: bytes.readerIndex, length: cursor.readerIndex - bytes.readerIndex)!
    }

    /// Whether there are no headers.
    public var isEmpty: Bool { count == 0 }

    static func readHeader(_ buffer: inout ByteBuffer) throws -> RecordHeader {
        let keyLength = try buffer.readZigZagVarInt32()
        guard keyLength >= 0 else { throw ProtocolError.invalid("negative record header key length \(keyLength)") }
        guard let key = buffer.readSlice(length: Int(keyLength)) else {
            throw ProtocolError.truncated("record header key")
        }
        let valueLength = try buffer.readZigZagVarInt32()
        var value: ByteBuffer? = nil
        if valueLength >= 0 {
            guard let v = buffer.readSlice(length: Int(valueLength)) else {
                throw ProtocolError.truncated("record header value")
            }
            value = v
        }
        return RecordHeader(keyBytes: key, value: value)
    }

    /// Decodes the headers one at a time from the validated bytes.
    public struct Iterator: IteratorProtocol, Sendable {
        var remaining: Int
        var buffer: ByteBuffer

        /// The next header, nil after the last.
        public mutating func next() -> RecordHeader? {
            guard remaining > 0 else { return nil }
            remaining -= 1
            // The bytes were validated when the headers were created, so this cannot fail.
            return try? RecordHeaders.readHeader(&buffer)
        }
    }

    /// An iterator over the headers in order.
    public func makeIterator() -> Iterator { Iterator(remaining: count, buffer: bytes) }

    /// The exact header count.
    public var underestimatedCount: Int { count }
}

/// Iterates the records of one magic-2 batch, checking them as Kafka's reader does: each record's length matches
/// its fields, header counts and key lengths are not negative, and after recordsCount records no bytes remain.
///
/// Not a `Sequence` because decoding can fail; use `while let record = try iterator.next()`.
public struct RecordIterator: Sendable {
    private var data: ByteBuffer
    private var remainingCount: Int
    /// recordsCount from the batch header.
    public let recordsCount: Int
    private let baseOffset: Int64
    private let baseTimestamp: Int64
    private let logAppendTime: Int64?

    init(batch: RecordBatch, maxDecompressedBytes: Int) throws {
        let header = batch.header
        guard header.recordsCount >= 0 else {
            throw ProtocolError.invalid("negative recordsCount \(header.recordsCount)")
        }
        self.data = try batch.decompressedRecords(maxDecompressedBytes: maxDecompressedBytes)
        self.recordsCount = Int(header.recordsCount)
        self.remainingCount = recordsCount
        self.baseOffset = header.baseOffset
        self.baseTimestamp = header.baseTimestamp
        self.logAppendTime = header.timestampType == .logAppendTime ? header.maxTimestamp : nil
    }

    /// Iterates records in an already decompressed region, with the given batch values.
    public init(records: ByteBuffer, count: Int32, baseOffset: Int64, baseTimestamp: Int64, logAppendTime: Int64? = nil) throws {
        guard count >= 0 else { throw ProtocolError.invalid("negative recordsCount \(count)") }
        self.data = records
        self.recordsCount = Int(count)
        self.remainingCount = Int(count)
        self.baseOffset = baseOffset
        self.baseTimestamp = baseTimestamp
        self.logAppendTime = logAppendTime
    }

    /// The next record; nil after the last one, once it is checked that no bytes are left over.
    public mutating func next() throws -> Record? {
        guard remainingCount > 0 else {
            if data.readableBytes > 0 {
                throw ProtocolError.invalid("\(data.readableBytes) bytes left after the batch's \(recordsCount) records")
            }
            return nil
        }
        let record = try RecordIterator.readRecord(
            &data, baseOffset: baseOffset, baseTimestamp: baseTimestamp, logAppendTime: logAppendTime)
        remainingCount -= 1
        return record
    }

    /// Decodes one record at the reader index of `buffer` and moves past it.
    public static func readRecord(
        _ buffer: inout ByteBuffer, baseOffset: Int64, baseTimestamp: Int64, logAppendTime: Int64? = nil
    ) throws -> Record {
        let start = buffer.readerIndex
        let length = try buffer.readZigZagVarInt32()
        guard length >= 0 else { throw ProtocolError.invalid("negative record length \(length)") }
        guard var body = buffer.readSlice(length: Int(length)) else {
            buffer.moveReaderIndex(to: start)
            throw ProtocolError.truncated("record of \(length) bytes, \(buffer.readableBytes) remain")
        }
        guard let attributes = body.readInteger(as: Int8.self) else { throw ProtocolError.truncated("record attributes") }
        let timestampDelta = try body.readZigZagVarInt64()
        let offsetDelta = try body.readZigZagVarInt32()
        let key = try readNullable(&body, "record key")
        let value = try readNullable(&body, "record value")
        let headerCount = try body.readZigZagVarInt32()
        let headers = try RecordHeaders(count: Int(headerCount), validating: body)
        guard headers.bytes.readableBytes == body.readableBytes else {
            throw ProtocolError.invalid("record length \(length) leaves \(body.readableBytes - headers.bytes.readableBytes) bytes unread")
        }
        return Record(
            attributes: attributes, timestampDelta: timestampDelta, offsetDelta: offsetDelta,
            offset: baseOffset &+ Int64(offsetDelta), timestamp: logAppendTime ?? (baseTimestamp &+ timestampDelta),
            key: key, value: value, headers: headers, sizeInBytes: buffer.readerIndex - start)
    }

    @inline(__always)
    private static func readNullable(_ body: inout ByteBuffer, _ what: StaticString) throws -> ByteBuffer? {
        let length = try body.readZigZagVarInt32()
        // Kafka reads any negative length as null.
        guard length >= 0 else { return nil }
        guard let slice = body.readSlice(length: Int(length)) else { throw ProtocolError.truncated("\(what)") }
        return slice
    }
}
