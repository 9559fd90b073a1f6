import CZlib
import NIOCore

/// gzip, as java.util.zip.GZIPOutputStream / GZIPInputStream.
enum Gzip {
    private static let streamSize = Int32(MemoryLayout<z_stream>.size)
    /// zlib takes 32-bit lengths; feed it at most this much at once.
    private static let maxChunk = 1 << 30

    static func compress(_ input: ByteBuffer, into output: inout ByteBuffer, level: Int?) throws {
        let level = Int32(clamping: level ?? Int(Z_DEFAULT_COMPRESSION))
        var stream = z_stream()
        // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, streamSize) == Z_OK
        else { throw CompressionError(codec: .gzip, reason: "deflateInit2 failed (level \(level))") }
        defer { deflateEnd(&stream) }

        let bound = Int(deflateBound(&stream, uLong(input.readableBytes)))
        try input.withUnsafeReadableBytes { source in
            var inputOffset = 0
            var finished = false
            while !finished {
                try output.writeWithUnsafeMutableBytes(minimumWritableBytes: Swift.max(bound, 64)) { destination in
                    let room = Swift.min(destination.count, maxChunk)
                    stream.next_out = destination.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.avail_out = uInt(room)
                    var status = Z_OK
                    while stream.avail_out > 0 {
                        let chunk = Swift.min(source.count - inputOffset, maxChunk)
                        stream.next_in = chunk == 0
                            ? nil
                            : UnsafeMutablePointer(mutating: (source.baseAddress! + inputOffset).assumingMemoryBound(to: Bytef.self))
                        stream.avail_in = uInt(chunk)
                        let flush = inputOffset + chunk == source.count ? Z_FINISH : Z_NO_FLUSH
                        status = deflate(&stream, flush)
                        inputOffset += chunk - Int(stream.avail_in)
                        if status == Z_STREAM_END { finished = true; break }
                        guard status == Z_OK || status == Z_BUF_ERROR else {
                            throw CompressionError(codec: .gzip, reason: "deflate failed (\(status))")
                        }
                        if status == Z_BUF_ERROR { break }  // no room left
                    }
                    return room - Int(stream.avail_out)
                }
            }
        }
    }

    static func decompress(_ input: ByteBuffer, limit: Int) throws -> ByteBuffer {
        guard input.readableBytes > 0 else { throw CompressionError.truncated(.gzip) }
        var stream = z_stream()
        // windowBits 15 + 32: detect a gzip or zlib header.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, streamSize) == Z_OK else {
            throw CompressionError(codec: .gzip, reason: "inflateInit2 failed")
        }
        defer { inflateEnd(&stream) }
        return try input.withUnsafeReadableBytes { source in
            let base = UnsafeMutablePointer(mutating: source.baseAddress!.assumingMemoryBound(to: Bytef.self))
            var inputOffset = 0
            return try decodeBounded(
                codec: .gzip, limit: limit,
                initialCapacity: guessedCapacity(compressedBytes: source.count, limit: limit)
            ) { destination in
                var produced = 0
                while produced < destination.count {
                    let chunkOut = Swift.min(destination.count - produced, maxChunk)
                    let chunkIn = Swift.min(source.count - inputOffset, maxChunk)
                    stream.next_out = (destination.baseAddress! + produced).assumingMemoryBound(to: Bytef.self)
                    stream.avail_out = uInt(chunkOut)
                    stream.next_in = base + inputOffset
                    stream.avail_in = uInt(chunkIn)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    let consumed = chunkIn - Int(stream.avail_in)
                    let written = chunkOut - Int(stream.avail_out)
                    inputOffset += consumed
                    produced += written
                    switch status {
                    case Z_STREAM_END:
                        // Another gzip member follows: continue with it (as GZIPInputStream does); anything
                        // else after the trailer is ignored, as GZIPInputStream does.
                        let rest = source.count - inputOffset
                        if rest >= 2, source[inputOffset] == 0x1F, source[inputOffset + 1] == 0x8B {
                            inflateReset(&stream)
                            continue
                        }
                        return (produced, true)
                    case Z_OK:
                        continue
                    case Z_BUF_ERROR:
                        // No progress possible: the input ended before the stream did.
                        if consumed == 0 && written == 0 {
                            if produced > 0 { return (produced, false) }
                            throw CompressionError.truncated(.gzip)
                        }
                    case Z_NEED_DICT:
                        throw CompressionError(codec: .gzip, reason: "stream needs a preset dictionary")
                    case Z_MEM_ERROR:
                        throw CompressionError(codec: .gzip, reason: "out of memory")
                    default:
                        let message = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                        throw CompressionError(codec: .gzip, reason: "corrupt input: \(message)")
                    }
                }
                return (produced, false)
            }
        }
    }
}
