import KafkaProtocol
import NIOCore

/// Reads whole batches of a `.log` file in order, in large chunks (`log.cleaner.io.buffer.size`), for the cleaner.
/// The file is a rolled segment the cleaner does not own: it is read, never written.
struct SegmentBatchReader {
    let file: any StorageFile
    let end: Int64
    let chunkSize: Int
    private var chunk = ByteBuffer()
    private var chunkStart: Int64 = 0
    private(set) var position: Int64 = 0
    /// Bytes read from the file so far (for the I/O throttle and the statistics).
    private(set) var bytesRead: Int64 = 0

    init(file: any StorageFile, end: Int64, chunkSize: Int) {
        self.file = file
        self.end = end
        self.chunkSize = max(chunkSize, RecordBatchHeader.size)
    }

    /// The next batch and its position, nil at the end (or at a trailing partial batch, which a recovered
    /// rolled segment does not have).
    mutating func next() throws -> (batch: RecordBatch, position: Int64)? {
        guard end - position >= Int64(RecordBatchHeader.size) else { return nil }
        var relative = Int(position - chunkStart)
        if relative < 0 || relative + RecordBatchHeader.size > chunk.readableBytes {
            try refill(at: position, atLeast: RecordBatchHeader.size)
            relative = 0
        }
        let header = try RecordBatchHeader(chunk.getSlice(at: chunk.readerIndex + relative, length: RecordBatchHeader.size)!)
        let size = header.totalSize
        guard position + Int64(size) <= end else { return nil }
        if relative + size > chunk.readableBytes {
            try refill(at: position, atLeast: size)
            relative = 0
        }
        let batch = try RecordBatch(chunk.getSlice(at: chunk.readerIndex + relative, length: size)!)
        let at = position
        position += Int64(size)
        return (batch, at)
    }

    private mutating func refill(at offset: Int64, atLeast: Int) throws {
        let count = Int(min(Int64(max(chunkSize, atLeast)), end - offset))
        chunk = try file.read(at: offset, count: count)
        chunkStart = offset
        bytesRead += Int64(chunk.readableBytes)
        guard chunk.readableBytes >= min(atLeast, count) else {
            throw StorageError.corrupt("\(file.path): short read at \(offset)")
        }
    }
}
