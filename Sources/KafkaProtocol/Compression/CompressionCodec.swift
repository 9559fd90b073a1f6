import NIOCore

/// The compression codecs of Kafka record batches (attribute bits 0-2).
public enum CompressionCodec: Int8, Sendable, CaseIterable {
    case none = 0
    case gzip = 1
    case snappy = 2
    case lz4 = 3
    case zstd = 4
}

/// A block could not be compressed, could not be decoded, or would decompress past its allowed size.
public struct CompressionError: Error, Equatable, Sendable, CustomStringConvertible {
    public var codec: CompressionCodec
    public var reason: String
    public init(codec: CompressionCodec, reason: String) {
        self.codec = codec
        self.reason = reason
    }
    public var description: String { "\(codec): \(reason)" }
}

extension CompressionCodec {
    /// Appends the compressed form of `input`'s readable bytes to `output`.
    ///
    /// - Parameter level: the codec's compression level; nil picks the default (gzip: zlib's default, 6;
    ///   snappy: no levels; lz4: 0, the fast mode, values of 3 and more select LZ4 HC; zstd: 3).
    ///   `none` ignores it.
    ///
    /// Output formats match the Java client: a gzip stream, xerial-framed snappy with 32 KiB blocks, an LZ4
    /// frame with independent 64 KiB blocks, a zstd frame.
    public func compress(_ input: ByteBuffer, into output: inout ByteBuffer, level: Int? = nil) throws {
        switch self {
        case .none:
            var input = input
            output.writeBuffer(&input)
        case .gzip: try Gzip.compress(input, into: &output, level: level)
        case .snappy: try Snappy.compress(input, into: &output)
        case .lz4: try LZ4.compress(input, into: &output, level: level)
        case .zstd: try Zstd.compress(input, into: &output, level: level)
        }
    }

    /// Decompresses `input`'s readable bytes; fails rather than producing more than `maxOutputBytes`.
    ///
    /// Accepts what Kafka clients write: gzip (or zlib) streams, concatenated gzip members; xerial-framed or
    /// raw snappy; LZ4 frames, including the "broken" header checksum of magic 0 messages; zstd frames with
    /// or without a content size. Corrupt or truncated input throws `CompressionError`.
    public func decompress(_ input: ByteBuffer, maxOutputBytes: Int) throws -> ByteBuffer {
        let limit = Swift.max(0, maxOutputBytes)
        switch self {
        case .none:
            guard input.readableBytes <= limit else { throw CompressionError.tooLarge(self, limit) }
            return input
        case .gzip: return try Gzip.decompress(input, limit: limit)
        case .snappy: return try Snappy.decompress(input, limit: limit)
        case .lz4: return try LZ4.decompress(input, limit: limit)
        case .zstd: return try Zstd.decompress(input, limit: limit)
        }
    }
}

extension CompressionError {
    static func tooLarge(_ codec: CompressionCodec, _ limit: Int) -> CompressionError {
        CompressionError(codec: codec, reason: "decompressed size exceeds the limit of \(limit) bytes")
    }
    static func truncated(_ codec: CompressionCodec) -> CompressionError {
        CompressionError(codec: codec, reason: "truncated input")
    }
}

/// One call of a streaming decoder: decode into `output` (its full extent is writable), report the bytes written
/// and whether the stream ended. Must throw rather than return no progress.
typealias DecoderStep = (_ output: UnsafeMutableRawBufferPointer) throws -> (produced: Int, finished: Bool)

/// Runs a streaming decoder into a new buffer that grows geometrically from `initialCapacity` up to `limit` bytes.
/// When the buffer holds `limit` bytes and the decoder has not finished, it gets a one-byte scratch area: any
/// further output means the stream is too large.
func decodeBounded(
    codec: CompressionCodec, limit: Int, initialCapacity: Int, step: DecoderStep
) throws -> ByteBuffer {
    var output = ByteBufferAllocator().buffer(capacity: Swift.min(limit, Swift.max(initialCapacity, 256)))
    var finished = false
    var scratch: UInt8 = 0
    while !finished {
        if output.writerIndex >= limit {
            let produced = try withUnsafeMutableBytes(of: &scratch) { probe in
                let result = try step(probe)
                finished = result.finished
                return result.produced
            }
            if produced > 0 { throw CompressionError.tooLarge(codec, limit) }
            continue
        }
        if output.writableBytes == 0 {
            output.reserveCapacity(Swift.min(limit, Swift.max(output.capacity * 2, 4096)))
        }
        let room = Swift.min(output.writableBytes, limit - output.writerIndex)
        try output.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { writable in
            let result = try step(UnsafeMutableRawBufferPointer(rebasing: writable[..<room]))
            finished = result.finished
            return result.produced
        }
    }
    return output
}

/// A first guess at the decompressed size of `compressedBytes`: a few times the input, at least 64 KiB.
@inline(__always)
func guessedCapacity(compressedBytes: Int, limit: Int) -> Int {
    let (product, overflow) = compressedBytes.multipliedReportingOverflow(by: 4)
    return Swift.min(limit, overflow ? limit : Swift.max(product, 64 * 1024))
}
