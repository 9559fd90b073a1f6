import CLZ4
import NIOCore

/// LZ4 in the LZ4 frame format (what KafkaLZ4BlockOutputStream writes for magic 1 and 2).
///
/// Reading also accepts the frame descriptor checksum that Kafka wrote for magic 0 messages (KIP-57), computed
/// over the 4 magic bytes as well as the descriptor.
enum LZ4 {
    static let frameMagic: UInt32 = 0x184D_2204

    private static let dctxPool = CodecContextPool(
        make: {
            var context: OpaquePointer?
            guard LZ4F_isError(LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))) == 0 else { return nil }
            return context
        },
        free: { LZ4F_freeDecompressionContext($0) }
    )

    static func compress(_ input: ByteBuffer, into output: inout ByteBuffer, level: Int?) throws {
        var preferences = LZ4F_preferences_t()
        preferences.frameInfo.blockSizeID = LZ4F_max64KB
        preferences.frameInfo.blockMode = LZ4F_blockIndependent
        preferences.compressionLevel = Int32(clamping: level ?? 0)
        let bound = LZ4F_compressFrameBound(input.readableBytes, &preferences)
        try input.withUnsafeReadableBytes { source in
            _ = try output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { destination in
                let written = LZ4F_compressFrame(
                    destination.baseAddress!, destination.count, source.baseAddress, source.count, &preferences)
                guard LZ4F_isError(written) == 0 else {
                    throw CompressionError(codec: .lz4, reason: "LZ4F_compressFrame failed: \(errorName(written))")
                }
                return written
            }
        }
    }

    static func decompress(_ input: ByteBuffer, limit: Int) throws -> ByteBuffer {
        guard input.readableBytes > 0 else { throw CompressionError.truncated(.lz4) }
        if let fixed = correctedHeader(input) {
            return try decode(fixed, limit: limit)
        }
        return try decode(input, limit: limit)
    }

    private static func decode(_ input: ByteBuffer, limit: Int) throws -> ByteBuffer {
        try dctxPool.withContext(codec: .lz4) { context in
            LZ4F_resetDecompressionContext(context)
            let output = try input.withUnsafeReadableBytes { source in
                var inputOffset = 0
                return try decodeBounded(
                    codec: .lz4, limit: limit,
                    initialCapacity: guessedCapacity(compressedBytes: source.count, limit: limit)
                ) { destination in
                    var produced = 0
                    while true {
                        var sourceSize = source.count - inputOffset
                        var destinationSize = destination.count - produced
                        let hint = LZ4F_decompress(
                            context, destination.baseAddress.map { $0 + produced }, &destinationSize,
                            source.baseAddress! + inputOffset, &sourceSize, nil)
                        guard LZ4F_isError(hint) == 0 else {
                            throw CompressionError(codec: .lz4, reason: "corrupt input: \(errorName(hint))")
                        }
                        inputOffset += sourceSize
                        produced += destinationSize
                        if hint == 0 {
                            // End of a frame: carry on only if another frame follows.
                            if startsWithFrameMagic(source, at: inputOffset) { continue }
                            return (produced, true)
                        }
                        if produced == destination.count { return (produced, false) }
                        if sourceSize == 0 && destinationSize == 0 {
                            if inputOffset == source.count {
                                if produced > 0 { return (produced, false) }
                                throw CompressionError.truncated(.lz4)
                            }
                            throw CompressionError(codec: .lz4, reason: "decoder made no progress")
                        }
                    }
                }
            }
            return (output, true)
        }
    }

    private static func startsWithFrameMagic(_ source: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        guard source.count - offset >= 4 else { return false }
        let magic = UInt32(littleEndian: source.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        return magic == frameMagic || magic & 0xFFFF_FFF0 == 0x184D_2A50  // LZ4 frame or skippable frame
    }

    private static func errorName(_ code: Int) -> String {
        String(cString: LZ4F_getErrorName(code))
    }

    /// When `input` starts with an LZ4 frame whose descriptor checksum is the magic-0 variant (xxh32 over magic and
    /// descriptor), a copy with the standard checksum; nil otherwise (including when the standard one is right).
    static func correctedHeader(_ input: ByteBuffer) -> ByteBuffer? {
        input.withUnsafeReadableBytes { source -> ByteBuffer? in
            guard source.count >= 7,
                  UInt32(littleEndian: source.loadUnaligned(as: UInt32.self)) == frameMagic else { return nil }
            let flags = source[4]
            let descriptorEnd = 6 + (flags & 0x08 != 0 ? 8 : 0) + (flags & 0x01 != 0 ? 4 : 0)
            guard source.count > descriptorEnd else { return nil }
            let stored = source[descriptorEnd]
            let standard = UInt8(truncatingIfNeeded: XXH32.hash(UnsafeRawBufferPointer(rebasing: source[4 ..< descriptorEnd])) >> 8)
            guard stored != standard else { return nil }
            let legacy = UInt8(truncatingIfNeeded: XXH32.hash(UnsafeRawBufferPointer(rebasing: source[0 ..< descriptorEnd])) >> 8)
            guard stored == legacy else { return nil }
            var copy = ByteBufferAllocator().buffer(capacity: source.count)
            copy.writeBytes(source)
            copy.setInteger(standard, at: descriptorEnd)
            return copy
        }
    }
}

/// xxHash32 (seed 0 by default), for LZ4 frame descriptor checksums.
enum XXH32 {
    private static let prime1: UInt32 = 0x9E37_79B1
    private static let prime2: UInt32 = 0x85EB_CA77
    private static let prime3: UInt32 = 0xC2B2_AE3D
    private static let prime4: UInt32 = 0x27D4_EB2F
    private static let prime5: UInt32 = 0x1656_67B1

    @inline(__always)
    private static func rotl(_ x: UInt32, _ r: UInt32) -> UInt32 { (x << r) | (x >> (32 - r)) }

    @inline(__always)
    private static func round(_ acc: UInt32, _ lane: UInt32) -> UInt32 {
        rotl(acc &+ lane &* prime2, 13) &* prime1
    }

    static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        let count = bytes.count
        var offset = 0
        @inline(__always) func word(_ at: Int) -> UInt32 {
            UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self))
        }
        var h: UInt32
        if count >= 16 {
            var v1 = seed &+ prime1 &+ prime2
            var v2 = seed &+ prime2
            var v3 = seed
            var v4 = seed &- prime1
            while count - offset >= 16 {
                v1 = round(v1, word(offset))
                v2 = round(v2, word(offset + 4))
                v3 = round(v3, word(offset + 8))
                v4 = round(v4, word(offset + 12))
                offset += 16
            }
            h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
        } else {
            h = seed &+ prime5
        }
        h = h &+ UInt32(truncatingIfNeeded: count)
        while count - offset >= 4 {
            h = rotl(h &+ word(offset) &* prime3, 17) &* prime4
            offset += 4
        }
        while offset < count {
            h = rotl(h &+ UInt32(bytes[offset]) &* prime5, 11) &* prime1
            offset += 1
        }
        h ^= h >> 15
        h = h &* prime2
        h ^= h >> 13
        h = h &* prime3
        h ^= h >> 16
        return h
    }
}
