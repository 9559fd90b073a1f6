import NIOCore

/// The longest run of whole, CRC-valid magic-2 batches at the front of a buffer: what a follower may append of a
/// fetch answer, which can end in a partial batch (the leader cut it at the size limit) or carry a damaged one.
public struct ValidBatchPrefix: Hashable, Sendable {
    /// Bytes of whole batches whose CRC holds, from the buffer's reader index.
    public var length: Int
    /// A batch after them is damaged (a header that does not parse, or a CRC that does not match), as opposed to
    /// merely cut short.
    public var corrupt: Bool

    public init(_ records: ByteBuffer) {
        var end = records.readerIndex
        var corrupt = false
        while records.writerIndex - end >= RecordBatchHeader.size {
            guard let slice = records.getSlice(at: end, length: RecordBatchHeader.size),
                  let header = try? RecordBatchHeader(slice), header.totalSize >= RecordBatchHeader.size else {
                corrupt = true
                break
            }
            guard header.totalSize <= records.writerIndex - end else { break }  // a partial last batch
            guard let batch = records.getSlice(at: end, length: header.totalSize),
                  (try? RecordBatchHeader(batch).validateCRC()) != nil else {
                corrupt = true
                break
            }
            end += header.totalSize
        }
        self.length = end - records.readerIndex
        self.corrupt = corrupt
    }
}
