import KafkaProtocol
import NIOCore

/// Walks the batches of a `.log` file.
enum SegmentScanner {
    /// Bytes read per pread when walking headers: one read covers a run of small batches; a batch larger than
    /// this is skipped over without reading its records.
    static let headerChunk = 4096
    /// Bytes read per pread when validating (recovery reads every byte anyway).
    static let validationChunk = 1 << 20

    /// Calls `body` with each batch header from `position` up to `end`, reading headers only, until `body`
    /// returns false. Stops quietly at a trailing partial header or batch; throws `.corrupt` on a malformed header
    /// (the log was recovered, so that means the file changed under us).
    static func forEachHeader(
        in file: any StorageFile, from position: Int64, to end: Int64, _ body: (BatchSummary) throws -> Bool
    ) throws {
        var chunk = ByteBuffer()
        var chunkStart: Int64 = 0
        var position = position
        while end - position >= Int64(RecordBatchHeader.size) {
            let relative = Int(position - chunkStart)
            if position < chunkStart || relative + RecordBatchHeader.size > chunk.readableBytes {
                chunk = try file.read(at: position, count: Int(min(Int64(headerChunk), end - position)))
                chunkStart = position
                guard chunk.readableBytes >= RecordBatchHeader.size else { return }
                continue
            }
            let view = chunk.getSlice(at: chunk.readerIndex + relative, length: RecordBatchHeader.size)!
            let header: RecordBatchHeader
            do { header = try RecordBatchHeader(view) } catch {
                throw StorageError.corrupt("\(file.path) at \(position): \(error)")
            }
            let summary = BatchSummary(header, position: position)
            if position + Int64(summary.size) > end { return }
            guard try body(summary) else { return }
            position += Int64(summary.size)
        }
    }

    /// The result of validating a segment file.
    struct Validation {
        /// Bytes from the start that hold whole, valid batches.
        var validBytes: Int64
        /// Whether anything after `validBytes` was found (a partial or corrupt batch, or garbage).
        var truncated: Bool
    }

    /// Reads every batch from position 0, checking framing (magic 2, length), that the batch is whole, its
    /// CRC-32C, and that offsets do not go backwards and stay at or above `baseOffset`; calls `body` with each
    /// valid batch. Stops at the first batch that fails: everything from there on is to be truncated.
    static func validate(
        _ file: any StorageFile, baseOffset: Int64, _ body: (BatchSummary, RecordBatch) throws -> Void
    ) throws -> Validation {
        let fileSize = try file.size()
        var position: Int64 = 0
        var nextOffset = baseOffset
        var chunk = ByteBuffer()
        var chunkStart: Int64 = 0
        while position < fileSize {
            var relative = Int(position - chunkStart)
            if relative + RecordBatchHeader.size > chunk.readableBytes {
                chunk = try file.read(at: position, count: Int(min(Int64(validationChunk), fileSize - position)))
                chunkStart = position
                relative = 0
            }
            guard chunk.readableBytes - relative >= RecordBatchHeader.size,
                  let header = try? RecordBatchHeader(chunk.getSlice(at: chunk.readerIndex + relative, length: RecordBatchHeader.size)!)
            else { return Validation(validBytes: position, truncated: true) }
            let size = header.totalSize
            guard position + Int64(size) <= fileSize else { return Validation(validBytes: position, truncated: true) }
            if relative + size > chunk.readableBytes {
                chunk = try file.read(at: position, count: max(size, Int(min(Int64(validationChunk), fileSize - position))))
                chunkStart = position
                relative = 0
            }
            guard let batch = try? RecordBatch(chunk.getSlice(at: chunk.readerIndex + relative, length: size)!),
                  batch.hasValidCRC, header.lastOffsetDelta >= 0,
                  header.baseOffset >= nextOffset, header.lastOffset - baseOffset <= Int64(Int32.max)
            else { return Validation(validBytes: position, truncated: true) }
            let summary = BatchSummary(batch.header, position: position)
            try body(summary, batch)
            nextOffset = summary.nextOffset
            position += Int64(size)
        }
        return Validation(validBytes: position, truncated: false)
    }
}
