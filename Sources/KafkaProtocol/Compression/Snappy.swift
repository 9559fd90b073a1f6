import CSnappy
import NIOCore

/// Snappy as the Java client uses it: written in the xerial `SnappyOutputStream` framing, read from that framing
/// or from a raw snappy block.
///
/// xerial framing: magic 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00, int32 version (1), int32 compatible version (1), then
/// blocks of int32 compressed length + a raw snappy block. All integers big-endian.
enum Snappy {
    static let magic: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00]
    static let headerSize = 16
    /// Uncompressed bytes per block; the Java client's default (32 KiB).
    static let blockSize = 32 * 1024

    static func compress(_ input: ByteBuffer, into output: inout ByteBuffer) throws {
        let count = input.readableBytes
        let blocks = (count + blockSize - 1) / blockSize
        let bound = headerSize + blocks * (4 + snappy_max_compressed_length(blockSize))
        try input.withUnsafeReadableBytes { source in
            _ = try output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { destination in
                let out = destination.baseAddress!
                for (index, byte) in magic.enumerated() { out.storeBytes(of: byte, toByteOffset: index, as: UInt8.self) }
                out.storeBytes(of: UInt32(1).bigEndian, toByteOffset: 8, as: UInt32.self)
                out.storeBytes(of: UInt32(1).bigEndian, toByteOffset: 12, as: UInt32.self)
                var written = headerSize
                var offset = 0
                while offset < count {
                    let length = Swift.min(blockSize, count - offset)
                    var compressedLength = destination.count - written - 4
                    let status = snappy_compress(
                        (source.baseAddress! + offset).assumingMemoryBound(to: CChar.self), length,
                        (out + written + 4).assumingMemoryBound(to: CChar.self), &compressedLength)
                    guard status == SNAPPY_OK else {
                        throw CompressionError(codec: .snappy, reason: "snappy_compress failed (\(status.rawValue))")
                    }
                    out.storeBytes(of: UInt32(compressedLength).bigEndian, toByteOffset: written, as: UInt32.self)
                    written += 4 + compressedLength
                    offset += length
                }
                return written
            }
        }
    }

    static func decompress(_ input: ByteBuffer, limit: Int) throws -> ByteBuffer {
        try input.withUnsafeReadableBytes { source in
            guard source.count > 0 else { throw CompressionError.truncated(.snappy) }
            if source.count >= magic.count && magic.withUnsafeBytes({ $0.elementsEqual(source[..<8]) }) {
                return try decompressFramed(source, limit: limit)
            }
            return try decompressRaw(source, limit: limit)
        }
    }

    /// The uncompressed length of a raw block, or a thrown error when its header is unreadable.
    private static func uncompressedLength(_ block: UnsafeRawBufferPointer) throws -> Int {
        var length = 0
        guard block.count > 0,
              snappy_uncompressed_length(block.baseAddress!.assumingMemoryBound(to: CChar.self), block.count, &length)
                == SNAPPY_OK
        else { throw CompressionError(codec: .snappy, reason: "corrupt block header") }
        return length
    }

    /// Decodes a raw block into `destination`, which is exactly its uncompressed length.
    private static func uncompress(_ block: UnsafeRawBufferPointer, into destination: UnsafeMutableRawPointer, length: Int) throws {
        var produced = length
        let status = snappy_uncompress(
            block.baseAddress!.assumingMemoryBound(to: CChar.self), block.count,
            destination.assumingMemoryBound(to: CChar.self), &produced)
        guard status == SNAPPY_OK, produced == length else {
            throw CompressionError(codec: .snappy, reason: "corrupt block")
        }
    }

    private static func decompressRaw(_ source: UnsafeRawBufferPointer, limit: Int) throws -> ByteBuffer {
        let length = try uncompressedLength(source)
        guard length <= limit else { throw CompressionError.tooLarge(.snappy, limit) }
        var output = ByteBufferAllocator().buffer(capacity: length)
        if length == 0 {
            // Still validate: a zero-length block is exactly its one-byte header.
            guard snappy_validate_compressed_buffer(source.baseAddress!.assumingMemoryBound(to: CChar.self), source.count)
                == SNAPPY_OK
            else { throw CompressionError(codec: .snappy, reason: "corrupt block") }
            return output
        }
        try output.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { destination in
            try uncompress(source, into: destination.baseAddress!, length: length)
            return length
        }
        return output
    }

    /// Walks the xerial blocks: first to check the framing and add up the uncompressed size (so that the output
    /// is allocated once, and never past the limit), then to decode.
    private static func decompressFramed(_ source: UnsafeRawBufferPointer, limit: Int) throws -> ByteBuffer {
        var blocks: [(start: Int, length: Int, uncompressed: Int)] = []
        var total = 0
        var offset = 0
        while offset < source.count {
            // A stream header, at the start or where xerial streams were concatenated.
            if source.count - offset >= magic.count,
               magic.withUnsafeBytes({ $0.elementsEqual(source[offset ..< offset + 8]) }) {
                guard source.count - offset >= headerSize else { throw CompressionError.truncated(.snappy) }
                offset += headerSize
                continue
            }
            guard source.count - offset >= 4 else { throw CompressionError.truncated(.snappy) }
            let length = Int(UInt32(bigEndian: source.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            offset += 4
            guard length <= source.count - offset else { throw CompressionError.truncated(.snappy) }
            let block = UnsafeRawBufferPointer(rebasing: source[offset ..< offset + length])
            let uncompressed = try uncompressedLength(block)
            total += uncompressed
            guard total <= limit else { throw CompressionError.tooLarge(.snappy, limit) }
            blocks.append((offset, length, uncompressed))
            offset += length
        }
        var output = ByteBufferAllocator().buffer(capacity: total)
        guard total > 0 else { return output }
        try output.writeWithUnsafeMutableBytes(minimumWritableBytes: total) { destination in
            var written = 0
            for block in blocks {
                let compressed = UnsafeRawBufferPointer(rebasing: source[block.start ..< block.start + block.length])
                if block.uncompressed > 0 {
                    try uncompress(compressed, into: destination.baseAddress! + written, length: block.uncompressed)
                } else if snappy_validate_compressed_buffer(
                    compressed.baseAddress!.assumingMemoryBound(to: CChar.self), compressed.count) != SNAPPY_OK {
                    throw CompressionError(codec: .snappy, reason: "corrupt block")
                }
                written += block.uncompressed
            }
            return written
        }
        return output
    }
}
