import NIOCore

/// The compression codecs of Kafka record batches (attribute bits 0-2).
public enum CompressionCodec: Int8, Sendable, CaseIterable {
    case none = 0
    case gzip = 1
    case snappy = 2
    case lz4 = 3
    case zstd = 4
}

/// A compressed block could not be decoded, or would decompress past its allowed size.
public struct CompressionError: Error, Equatable, Sendable, CustomStringConvertible {
    public var codec: CompressionCodec
    public var reason: String
    public init(codec: CompressionCodec, reason: String) {
        self.codec = codec
        self.reason = reason
    }
    public var description: String { "\(codec) decompression failed: \(reason)" }
}

extension CompressionCodec {
    /// Appends the compressed form of `input`'s readable bytes to `output`.
    public func compress(_ input: ByteBuffer, into output: inout ByteBuffer) throws {
        throw CompressionError(codec: self, reason: "not implemented yet")
    }

    /// Decompresses `input`'s readable bytes; fails rather than producing more than `maxOutputBytes`.
    public func decompress(_ input: ByteBuffer, maxOutputBytes: Int) throws -> ByteBuffer {
        throw CompressionError(codec: self, reason: "not implemented yet")
    }
}
