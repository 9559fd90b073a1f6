import CZstd
import NIOCore

/// Zstandard frames (magic 2 only). Written with a content size; read by streaming, so frames without one work.
enum Zstd {
    static let defaultLevel = 3

    private static let cctxPool = CodecContextPool(
        make: { ZSTD_createCCtx() },
        free: { ZSTD_freeCCtx($0) }
    )
    private static let dctxPool = CodecContextPool(
        make: { ZSTD_createDCtx() },
        free: { ZSTD_freeDCtx($0) }
    )

    private static func errorName(_ code: Int) -> String { String(cString: ZSTD_getErrorName(code)) }

    static func compress(_ input: ByteBuffer, into output: inout ByteBuffer, level: Int?) throws {
        let level = Int32(clamping: level ?? defaultLevel)
        let bound = ZSTD_compressBound(input.readableBytes)
        try cctxPool.withContext(codec: .zstd) { context in
            ZSTD_CCtx_reset(context, ZSTD_reset_session_and_parameters)
            let set = ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level)
            guard ZSTD_isError(set) == 0 else {
                throw CompressionError(codec: .zstd, reason: "bad level \(level): \(errorName(set))")
            }
            try input.withUnsafeReadableBytes { source in
                _ = try output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { destination in
                    let written = ZSTD_compress2(
                        context, destination.baseAddress, destination.count, source.baseAddress, source.count)
                    guard ZSTD_isError(written) == 0 else {
                        throw CompressionError(codec: .zstd, reason: "ZSTD_compress2 failed: \(errorName(written))")
                    }
                    return written
                }
            }
            return ((), true)
        }
    }

    static func decompress(_ input: ByteBuffer, limit: Int) throws -> ByteBuffer {
        guard input.readableBytes > 0 else { throw CompressionError.truncated(.zstd) }
        return try dctxPool.withContext(codec: .zstd) { context in
            ZSTD_DCtx_reset(context, ZSTD_reset_session_only)
            let output = try input.withUnsafeReadableBytes { source in
                // A declared content size sizes the output exactly (the decoder checks it); else guess and grow.
                let declared = ZSTD_getFrameContentSize(source.baseAddress, source.count)
                var initial = guessedCapacity(compressedBytes: source.count, limit: limit)
                if declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR {
                    guard declared <= UInt64(limit) else { throw CompressionError.tooLarge(.zstd, limit) }
                    initial = Int(declared)
                }
                var inBuffer = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
                return try decodeBounded(codec: .zstd, limit: limit, initialCapacity: initial) { destination in
                    var outBuffer = ZSTD_outBuffer(dst: destination.baseAddress, size: destination.count, pos: 0)
                    while true {
                        let consumedBefore = inBuffer.pos
                        let producedBefore = outBuffer.pos
                        let hint = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
                        guard ZSTD_isError(hint) == 0 else {
                            throw CompressionError(codec: .zstd, reason: "corrupt input: \(errorName(hint))")
                        }
                        // 0: a frame ended and everything is flushed; more frames may follow.
                        if hint == 0 && inBuffer.pos == inBuffer.size { return (outBuffer.pos, true) }
                        if outBuffer.pos == outBuffer.size { return (outBuffer.pos, false) }
                        if inBuffer.pos == consumedBefore && outBuffer.pos == producedBefore {
                            if outBuffer.pos > 0 { return (outBuffer.pos, false) }
                            throw CompressionError.truncated(.zstd)
                        }
                    }
                }
            }
            return (output, true)
        }
    }
}
