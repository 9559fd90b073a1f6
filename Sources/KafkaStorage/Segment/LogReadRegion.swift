import NIOCore

/// A byte range of a segment file holding whole batches from the requested offset on (the last one may be cut
/// short by the size limit, as in Kafka's Fetch responses, which clients tolerate).
///
/// The network layer sends it with `sendfile` when `file.descriptor` is set (plain TCP), or reads the bytes with
/// `bytes()` (TLS, in-memory files). The region keeps the handle alive, so the descriptor stays open until the
/// region is released even if the file-handle cache evicted it.
public struct LogReadRegion: Sendable {
    /// The segment file.
    public let file: any StorageFile
    /// Where the first batch starts.
    public let position: Int64
    /// Bytes to send.
    public let length: Int
    /// baseOffset of the first batch (at or before the requested offset).
    public let firstBatchOffset: Int64

    public init(file: any StorageFile, position: Int64, length: Int, firstBatchOffset: Int64) {
        self.file = file
        self.position = position
        self.length = length
        self.firstBatchOffset = firstBatchOffset
    }

    /// Reads the region's bytes.
    public func bytes() throws -> ByteBuffer { try file.read(at: position, count: length) }
}
