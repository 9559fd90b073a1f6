import NIOCore

/// Builds one magic-2 record batch.
///
/// Records are encoded as they are appended, straight after 61 reserved header bytes, so an uncompressed batch is
/// finished by patching the header in place; a compressed one is compressed once into the output. Header values
/// follow Kafka's producer: baseTimestamp is the first record's timestamp, maxTimestamp the largest record
/// timestamp (or the log-append time), lastOffsetDelta the last record's offsetDelta.
public struct RecordBatchBuilder: Sendable {
    /// Written to the header; brokers assign the real value on append.
    public var baseOffset: Int64
    /// Written to the header; -1 when there is no leader epoch.
    public var partitionLeaderEpoch: Int32
    /// The codec the records are compressed with.
    public var compression: CompressionCodec
    /// When set the batch is LogAppendTime and maxTimestamp is this value; otherwise CreateTime.
    public var logAppendTime: Int64?
    /// -1 when not idempotent.
    public var producerId: Int64
    /// -1 when not idempotent.
    public var producerEpoch: Int16
    /// -1 when not idempotent.
    public var baseSequence: Int32
    /// Attribute bit 4.
    public var isTransactional: Bool
    /// Attribute bit 5 (use the control-batch factories rather than setting it by hand).
    public var isControl: Bool
    /// Attribute bit 6: baseTimestamp holds the log cleaner's delete horizon (pass it as `baseTimestamp`).
    public var hasDeleteHorizon: Bool

    /// The header's baseTimestamp: given at creation, or the first appended record's timestamp.
    public private(set) var baseTimestamp: Int64?
    /// Records appended so far.
    public private(set) var recordsCount: Int32 = 0
    /// The last appended record's offsetDelta, -1 before any.
    public private(set) var lastOffsetDelta: Int32 = -1
    /// The largest record timestamp so far (-1, Kafka's "no timestamp", before any).
    public private(set) var maxRecordTimestamp: Int64 = -1

    /// Header placeholder followed by the encoded, uncompressed records.
    private var buffer: ByteBuffer

    /// A builder for a batch with these header values; the defaults are a non-idempotent producer's batch.
    /// `baseTimestamp` defaults to the first appended record's timestamp.
    public init(
        compression: CompressionCodec = .none,
        baseOffset: Int64 = 0,
        partitionLeaderEpoch: Int32 = -1,
        producerId: Int64 = -1,
        producerEpoch: Int16 = -1,
        baseSequence: Int32 = -1,
        isTransactional: Bool = false,
        isControl: Bool = false,
        logAppendTime: Int64? = nil,
        baseTimestamp: Int64? = nil,
        hasDeleteHorizon: Bool = false,
        initialCapacity: Int = 512
    ) {
        self.compression = compression
        self.baseOffset = baseOffset
        self.partitionLeaderEpoch = partitionLeaderEpoch
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.isTransactional = isTransactional
        self.isControl = isControl
        self.logAppendTime = logAppendTime
        self.baseTimestamp = baseTimestamp
        self.hasDeleteHorizon = hasDeleteHorizon
        self.buffer = ByteBuffer()
        buffer.reserveCapacity(max(initialCapacity, RecordBatchHeader.size))
        buffer.writeRepeatingByte(0, count: RecordBatchHeader.size)
    }

    /// The attributes the header will carry.
    public var attributes: RecordBatchAttributes {
        RecordBatchAttributes(
            compression: compression, timestampType: logAppendTime == nil ? .createTime : .logAppendTime,
            isTransactional: isTransactional, isControl: isControl, hasDeleteHorizon: hasDeleteHorizon)
    }

    /// Bytes of the uncompressed records appended so far.
    public var uncompressedRecordsSize: Int { buffer.readableBytes - RecordBatchHeader.size }

    /// Appends a record at the next offset (offsetDelta = previous + 1, starting at 0).
    public mutating func append<Headers: Collection<RecordHeader>>(
        timestamp: Int64, key: ByteBuffer?, value: ByteBuffer?, headers: Headers
    ) throws {
        try append(offsetDelta: lastOffsetDelta &+ 1, timestamp: timestamp, key: key, value: value, headers: headers)
    }

    /// Appends a record without headers at the next offset.
    public mutating func append(timestamp: Int64, key: ByteBuffer?, value: ByteBuffer?) throws {
        try append(timestamp: timestamp, key: key, value: value, headers: EmptyCollection())
    }

    /// Appends a record with an explicit offsetDelta, which must be larger than the previous record's.
    public mutating func append<Headers: Collection<RecordHeader>>(
        offsetDelta: Int32, timestamp: Int64, key: ByteBuffer?, value: ByteBuffer?, headers: Headers,
        attributes: Int8 = 0
    ) throws {
        let timestampDelta = try delta(for: timestamp)
        var headersSize = 0
        for header in headers {
            headersSize += RecordBatchBuilder.encodedSize(ofBytes: header.keyBytes)
                + RecordBatchBuilder.encodedSize(ofBytes: header.value)
        }
        try appendRecord(
            attributes: attributes, timestampDelta: timestampDelta, offsetDelta: offsetDelta, key: key, value: value,
            headerCount: headers.count, headersSize: headersSize
        ) { out in
            for header in headers {
                RecordBatchBuilder.writeBytes(header.keyBytes, into: &out)
                RecordBatchBuilder.writeBytes(header.value, into: &out)
            }
        }
    }

    /// Appends a decoded record with its stored attributes, offsetDelta and timestampDelta, copying its encoded
    /// headers as they are, so that re-encoding a batch's records reproduces them byte for byte.
    ///
    /// When the builder has no baseTimestamp yet it takes `record.timestamp - record.timestampDelta`, right for a
    /// CreateTime batch; for a LogAppendTime batch pass the original baseTimestamp to the initializer.
    public mutating func append(_ record: Record) throws {
        if baseTimestamp == nil { baseTimestamp = record.timestamp &- record.timestampDelta }
        let base = baseTimestamp!
        let (timestamp, overflow) = base.addingReportingOverflow(record.timestampDelta)
        guard !overflow else { throw ProtocolError.invalid("record timestamp overflows") }
        let headers = record.headers
        try appendRecord(
            attributes: record.attributes, timestampDelta: record.timestampDelta, offsetDelta: record.offsetDelta,
            key: record.key, value: record.value, headerCount: headers.count, headersSize: headers.bytes.readableBytes
        ) { out in
            var raw = headers.bytes
            out.writeBuffer(&raw)
        }
        maxRecordTimestamp = max(maxRecordTimestamp, timestamp)
    }

    private mutating func delta(for timestamp: Int64) throws -> Int64 {
        if baseTimestamp == nil { baseTimestamp = timestamp }
        let (delta, overflow) = timestamp.subtractingReportingOverflow(baseTimestamp!)
        guard !overflow else { throw ProtocolError.invalid("timestamp \(timestamp) too far from base \(baseTimestamp!)") }
        maxRecordTimestamp = max(maxRecordTimestamp, timestamp)
        return delta
    }

    private mutating func appendRecord(
        attributes: Int8, timestampDelta: Int64, offsetDelta: Int32, key: ByteBuffer?, value: ByteBuffer?,
        headerCount: Int, headersSize: Int, writeHeaders: (inout ByteBuffer) -> Void
    ) throws {
        guard recordsCount == 0 || offsetDelta > lastOffsetDelta else {
            throw ProtocolError.invalid("offsetDelta \(offsetDelta) does not follow \(lastOffsetDelta)")
        }
        guard offsetDelta >= 0 else { throw ProtocolError.invalid("negative offsetDelta \(offsetDelta)") }
        guard recordsCount < Int32.max, let headerCount32 = Int32(exactly: headerCount) else {
            throw ProtocolError.invalid("too many records or headers")
        }
        let bodySize = 1 + ZigZag.size(ofVarInt64: timestampDelta) + ZigZag.size(ofVarInt32: offsetDelta)
            + RecordBatchBuilder.encodedSize(ofBytes: key) + RecordBatchBuilder.encodedSize(ofBytes: value)
            + ZigZag.size(ofVarInt32: headerCount32) + headersSize
        guard let bodySize32 = Int32(exactly: bodySize),
              buffer.readableBytes <= Int(Int32.max) - bodySize - 5
        else { throw ProtocolError.invalid("record batch larger than 2 GiB") }
        let before = buffer.writerIndex
        buffer.writeZigZagVarInt32(bodySize32)
        buffer.writeInteger(attributes)
        buffer.writeZigZagVarInt64(timestampDelta)
        buffer.writeZigZagVarInt32(offsetDelta)
        RecordBatchBuilder.writeBytes(key, into: &buffer)
        RecordBatchBuilder.writeBytes(value, into: &buffer)
        buffer.writeZigZagVarInt32(headerCount32)
        writeHeaders(&buffer)
        assert(buffer.writerIndex - before == bodySize + ZigZag.size(ofVarInt32: bodySize32))
        recordsCount += 1
        lastOffsetDelta = offsetDelta
    }

    @inline(__always)
    static func encodedSize(ofBytes bytes: ByteBuffer?) -> Int {
        guard let bytes else { return 1 }
        return ZigZag.size(ofVarInt32: Int32(truncatingIfNeeded: bytes.readableBytes)) + bytes.readableBytes
    }

    @inline(__always)
    static func writeBytes(_ bytes: ByteBuffer?, into out: inout ByteBuffer) {
        guard var bytes else {
            out.writeZigZagVarInt32(-1)
            return
        }
        out.writeZigZagVarInt32(Int32(truncatingIfNeeded: bytes.readableBytes))
        out.writeBuffer(&bytes)
    }

    /// Finishes the batch. For an uncompressed batch the builder's own buffer becomes the result (no copy when
    /// the builder is not used afterwards).
    ///
    /// - Parameter lastOffsetDelta: overrides the header's lastOffsetDelta (the log cleaner keeps the original
    ///   one in batches it empties); by default the last record's offsetDelta, -1 when there are none.
    public consuming func build(lastOffsetDelta override: Int32? = nil) throws -> ByteBuffer {
        if compression == .none {
            // Move the buffer out first so it is uniquely referenced and patching it does not copy.
            var out = buffer
            buffer = ByteBuffer()
            try writeHeader(into: &out, at: out.readerIndex, lastOffsetDelta: override)
            return out
        }
        var out = ByteBuffer()
        out.reserveCapacity(RecordBatchHeader.size + uncompressedRecordsSize / 2 + 64)
        try write(into: &out, lastOffsetDelta: override)
        return out
    }

    /// Appends the finished batch to `output`.
    public func write(into output: inout ByteBuffer, lastOffsetDelta override: Int32? = nil) throws {
        let start = output.writerIndex
        output.writeRepeatingByte(0, count: RecordBatchHeader.size)
        let records = buffer.getSlice(at: buffer.readerIndex + RecordBatchHeader.size, length: uncompressedRecordsSize)!
        if compression == .none {
            output.writeImmutableBuffer(records)
        } else {
            do {
                try compression.compress(records, into: &output)
            } catch let error as ProtocolError {
                throw error
            } catch {
                throw ProtocolError.invalid("compressing record batch: \(error)")
            }
        }
        try writeHeader(into: &output, at: start, lastOffsetDelta: override)
    }

    /// Fills the 61 header bytes at `start` for a batch ending at the buffer's writer index, CRC last.
    private func writeHeader(into out: inout ByteBuffer, at start: Int, lastOffsetDelta override: Int32?) throws {
        let total = out.writerIndex - start
        guard let length = Int32(exactly: total - RecordBatchHeader.logOverhead) else {
            throw ProtocolError.invalid("record batch of \(total) bytes exceeds the int32 length field")
        }
        typealias P = RecordBatchHeader.Position
        out.setInteger(baseOffset, at: start + P.baseOffset, endianness: .big)
        out.setInteger(length, at: start + P.batchLength, endianness: .big)
        out.setInteger(partitionLeaderEpoch, at: start + P.partitionLeaderEpoch, endianness: .big)
        out.setInteger(RecordBatchHeader.magic, at: start + P.magic)
        out.setInteger(attributes.rawValue, at: start + P.attributes, endianness: .big)
        out.setInteger(override ?? lastOffsetDelta, at: start + P.lastOffsetDelta, endianness: .big)
        out.setInteger(baseTimestamp ?? -1, at: start + P.baseTimestamp, endianness: .big)
        out.setInteger(logAppendTime ?? maxRecordTimestamp, at: start + P.maxTimestamp, endianness: .big)
        out.setInteger(producerId, at: start + P.producerId, endianness: .big)
        out.setInteger(producerEpoch, at: start + P.producerEpoch, endianness: .big)
        out.setInteger(baseSequence, at: start + P.baseSequence, endianness: .big)
        out.setInteger(recordsCount, at: start + P.recordsCount, endianness: .big)
        let crc = RecordBatchHeader.computeCRC(of: out, batchAt: start)!
        out.setInteger(crc, at: start + P.crc, endianness: .big)
    }
}

// MARK: - Control batches

extension RecordBatchBuilder {
    /// A transaction marker batch as a partition leader writes it for WriteTxnMarkers: transactional + control,
    /// uncompressed, CreateTime, baseSequence -1, one record with the marker key and value at `timestamp`.
    public static func endTransactionMarker(
        _ marker: EndTransactionMarker, producerId: Int64, producerEpoch: Int16, timestamp: Int64,
        baseOffset: Int64 = 0, partitionLeaderEpoch: Int32 = -1
    ) throws -> ByteBuffer {
        try controlBatch(
            type: marker.type, value: marker.encodedValue, timestamp: timestamp, baseOffset: baseOffset,
            partitionLeaderEpoch: partitionLeaderEpoch, producerId: producerId, producerEpoch: producerEpoch,
            isTransactional: true)
    }

    /// A control batch holding one control record of `type` with the given value (the KRaft control records:
    /// LeaderChange, SnapshotHeader, ... carry their schema-encoded message as the value).
    public static func controlBatch(
        type: ControlRecordType, value: ByteBuffer?, timestamp: Int64, baseOffset: Int64 = 0,
        partitionLeaderEpoch: Int32 = -1, producerId: Int64 = -1, producerEpoch: Int16 = -1,
        isTransactional: Bool = false
    ) throws -> ByteBuffer {
        var builder = RecordBatchBuilder(
            baseOffset: baseOffset, partitionLeaderEpoch: partitionLeaderEpoch, producerId: producerId,
            producerEpoch: producerEpoch, baseSequence: -1, isTransactional: isTransactional, isControl: true,
            initialCapacity: RecordBatchHeader.size + 32 + (value?.readableBytes ?? 0))
        try builder.append(timestamp: timestamp, key: type.encodedKey, value: value)
        return try builder.build()
    }
}
