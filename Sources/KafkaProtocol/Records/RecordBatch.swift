import NIOCore

/// One magic-2 record batch, held as a slice of the buffer it was read from (no copy).
///
/// The header fields are read on demand through `header`; records are parsed only when iterated, and compressed
/// batches are decompressed only then. Leader-side changes (baseOffset, partitionLeaderEpoch, maxTimestamp) are
/// patched into the bytes rather than re-encoding the batch.
public struct RecordBatch: Hashable, Sendable {
    /// Largest decompressed records region accepted by default (64 MiB): well above `message.max.bytes`
    /// times any realistic compression ratio, low enough that a hostile block cannot exhaust memory.
    public static let defaultMaxDecompressedBytes = 64 << 20

    /// Exactly the bytes of the batch.
    public private(set) var buffer: ByteBuffer

    /// Takes the batch at the start of `buffer`'s readable bytes (bytes after it are ignored).
    ///
    /// Checks the header (size, magic 2, batchLength) and that the whole batch is present; not the CRC.
    public init(_ buffer: ByteBuffer) throws {
        let header = try RecordBatchHeader(buffer)
        guard header.isComplete else {
            throw ProtocolError.truncated("record batch (\(buffer.readableBytes) of \(header.totalSize) bytes)")
        }
        self.buffer = buffer.getSlice(at: buffer.readerIndex, length: header.totalSize)!
    }

    /// The header view.
    public var header: RecordBatchHeader { RecordBatchHeader(unchecked: buffer) }

    /// The batch's size in bytes.
    public var sizeInBytes: Int { buffer.readableBytes }

    /// The bytes after the header: the records, or the compressed block holding them.
    public var recordsRegion: ByteBuffer {
        buffer.getSlice(at: buffer.readerIndex + RecordBatchHeader.size, length: buffer.readableBytes - RecordBatchHeader.size)!
    }

    /// Throws `.corrupt` when the stored CRC-32C does not match.
    public func validateCRC() throws { try header.validateCRC() }

    /// Whether the stored CRC-32C matches the bytes.
    public var hasValidCRC: Bool { header.computeCRC() == header.crc }

    /// An iterator over the records; decompresses the records region first when the batch is compressed.
    ///
    /// - Parameter maxDecompressedBytes: the decompressed region may not exceed this.
    public func records(maxDecompressedBytes: Int = RecordBatch.defaultMaxDecompressedBytes) throws -> RecordIterator {
        try RecordIterator(batch: self, maxDecompressedBytes: maxDecompressedBytes)
    }

    /// The records region without compression: a slice for uncompressed batches, a new buffer otherwise.
    public func decompressedRecords(maxDecompressedBytes: Int = RecordBatch.defaultMaxDecompressedBytes) throws -> ByteBuffer {
        let header = self.header
        guard let codec = header.compression else {
            throw ProtocolError.invalid("record batch compression id \(header.attributes.compressionID)")
        }
        if codec == .none { return recordsRegion }
        do {
            return try codec.decompress(recordsRegion, maxOutputBytes: maxDecompressedBytes)
        } catch let error as ProtocolError {
            throw error
        } catch {
            throw ProtocolError.corrupt("record batch: \(error)")
        }
    }

    /// Calls `body` with every record, then checks that the batch held exactly recordsCount records.
    public func forEachRecord(
        maxDecompressedBytes: Int = RecordBatch.defaultMaxDecompressedBytes, _ body: (Record) throws -> Void
    ) throws {
        var iterator = try records(maxDecompressedBytes: maxDecompressedBytes)
        while let record = try iterator.next() { try body(record) }
    }

    /// Sets baseOffset (outside the CRC).
    public mutating func setBaseOffset(_ offset: Int64) {
        try! RecordBatchHeader.setBaseOffset(offset, in: &buffer, batchAt: buffer.readerIndex)
    }

    /// Sets partitionLeaderEpoch (outside the CRC).
    public mutating func setPartitionLeaderEpoch(_ epoch: Int32) {
        try! RecordBatchHeader.setPartitionLeaderEpoch(epoch, in: &buffer, batchAt: buffer.readerIndex)
    }

    /// Sets maxTimestamp and the timestamp type, recomputing the CRC.
    public mutating func setMaxTimestamp(_ timestamp: Int64, timestampType: TimestampType) throws {
        try RecordBatchHeader.setMaxTimestamp(timestamp, timestampType: timestampType, in: &buffer, batchAt: buffer.readerIndex)
    }
}

/// Splits a records region (a Produce or Fetch `records` field, or a segment file) into magic-2 batches, returning
/// slices and never copying.
///
/// A region may end with a batch cut short, as Fetch responses do (the broker sends a byte range of the log): the
/// iterator then stops, and `incompleteTail` holds those bytes; that is not an error. A batch whose magic is not
/// 2 is reported as `.invalid` (use `RecordBatchIterator.detectMagic` first to route legacy message sets).
public struct RecordBatchIterator: Sendable {
    private var remaining: ByteBuffer
    private let startIndex: Int
    private let maxBatchSize: Int

    /// Bytes of a trailing batch that the region does not hold entirely; set once `next()` returned nil.
    public private(set) var incompleteTail: ByteBuffer?

    /// - Parameters:
    ///   - records: the region; its readable bytes are split.
    ///   - maxBatchSize: larger batches are `.invalid` (Kafka's max message size check); Int.max disables it.
    public init(_ records: ByteBuffer, maxBatchSize: Int = .max) {
        self.remaining = records
        self.startIndex = records.readerIndex
        self.maxBatchSize = maxBatchSize
    }

    /// The magic byte of the first entry of a region, nil when fewer than 17 bytes are present. 0 and 1 mean a
    /// legacy message set (`LegacyMessageSetIterator`), 2 record batches. The offset and length fields of both
    /// formats have the same layout, so byte 16 is always the magic.
    public static func detectMagic(_ records: ByteBuffer) -> Int8? {
        records.getInteger(at: records.readerIndex + RecordBatchHeader.Position.magic, as: Int8.self)
    }

    /// The byte position, relative to the start of the region, of the next batch.
    public var bytesConsumed: Int { remaining.readerIndex - startIndex }

    /// The next batch, or nil at the end of the region or at an incomplete trailing batch.
    public mutating func next() throws -> RecordBatch? {
        let available = remaining.readableBytes
        if available == 0 { return nil }
        // Kafka reads up to the magic byte before judging the length, so a tail shorter than that is incomplete.
        guard available > RecordBatchHeader.Position.magic else {
            incompleteTail = remaining
            remaining.moveReaderIndex(forwardBy: available)
            return nil
        }
        let start = remaining.readerIndex
        let length = remaining.getInteger(at: start + RecordBatchHeader.Position.batchLength, endianness: .big, as: Int32.self)!
        let magic = remaining.getInteger(at: start + RecordBatchHeader.Position.magic, as: Int8.self)!
        guard magic == RecordBatchHeader.magic else {
            throw ProtocolError.invalid("record batch magic \(magic) at byte \(start - startIndex), expected 2")
        }
        guard length >= RecordBatchHeader.minimumBatchLength else {
            throw ProtocolError.invalid("record batch length \(length) at byte \(start - startIndex)")
        }
        let total = Int(length) + RecordBatchHeader.logOverhead
        guard total <= maxBatchSize else {
            throw ProtocolError.invalid("record batch of \(total) bytes exceeds the \(maxBatchSize)-byte limit")
        }
        guard total <= available else {
            incompleteTail = remaining
            remaining.moveReaderIndex(forwardBy: available)
            return nil
        }
        let slice = remaining.readSlice(length: total)!
        return try RecordBatch(slice)
    }

    /// Every complete batch, and the incomplete tail if any. Allocates an array; prefer `next()` on hot paths.
    public static func split(_ records: ByteBuffer) throws -> (batches: [RecordBatch], incompleteTail: ByteBuffer?) {
        var iterator = RecordBatchIterator(records)
        var batches: [RecordBatch] = []
        while let batch = try iterator.next() { batches.append(batch) }
        return (batches, iterator.incompleteTail)
    }
}
