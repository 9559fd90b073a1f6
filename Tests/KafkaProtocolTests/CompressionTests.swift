import CLZ4
import CSnappy
import CZlib
import CZstd
import NIOCore
import Testing
@testable import KafkaProtocol

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Deterministic pseudo-random bytes (SplitMix64).
private struct Random {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func bytes(_ count: Int) -> [UInt8] {
        var result = [UInt8]()
        result.reserveCapacity(count + 8)
        while result.count < count {
            withUnsafeBytes(of: next()) { result.append(contentsOf: $0) }
        }
        return Array(result.prefix(count))
    }
}

private let compressedCodecs: [CompressionCodec] = [.gzip, .snappy, .lz4, .zstd]

private func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

private func bytes(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }

private func compressed(_ codec: CompressionCodec, _ input: [UInt8], level: Int? = nil) throws -> ByteBuffer {
    var output = ByteBuffer()
    try codec.compress(buffer(input), into: &output, level: level)
    return output
}

/// Log-like text: repetitive but not trivial.
private func logLines(_ count: Int) -> [UInt8] {
    var text = ""
    for index in 0 ..< count {
        text += "{\"ts\":\(1_700_000_000_000 + index * 17),\"level\":\"\(index % 7 == 0 ? "WARN" : "INFO")\","
        text += "\"user\":\"user-\(index % 113)\",\"path\":\"/api/v1/items/\(index * 31 % 1000)\",\"ms\":\(index % 97)}\n"
    }
    return Array(text.utf8)
}

private enum Inputs {
    static let empty: [UInt8] = []
    static let small: [UInt8] = Array("hello, kafka! hello, kafka! a small record batch body".utf8)
    static let random: [UInt8] = { var r = Random(state: 7); return r.bytes(1 << 20) }()
    static let compressible: [UInt8] = logLines(12_000)
    static let all: [(String, [UInt8])] = [
        ("empty", empty), ("small", small), ("1 MiB random", random), ("compressible", compressible),
    ]
}

@Suite struct CompressionTests {
    @Test(arguments: CompressionCodec.allCases)
    func roundTrips(codec: CompressionCodec) throws {
        for (name, input) in Inputs.all {
            let packed = try compressed(codec, input)
            let unpacked = try codec.decompress(packed, maxOutputBytes: input.count)
            #expect(bytes(unpacked) == input, "\(codec) \(name)")
        }
    }

    @Test func levels() throws {
        let input = Inputs.compressible
        for (codec, levels) in [(CompressionCodec.gzip, [1, 9, 0]), (.lz4, [1, 3, 9, 12, -5]), (.zstd, [1, 9, -3])] {
            for level in levels {
                let packed = try compressed(codec, input, level: level)
                #expect(bytes(try codec.decompress(packed, maxOutputBytes: input.count)) == input, "\(codec) \(level)")
            }
        }
        // Compression actually happens.
        for codec in compressedCodecs {
            let size = try compressed(codec, input).readableBytes
            #expect(size < input.count / 3, "\(codec) \(size) of \(input.count)")
        }
        #expect(throws: CompressionError.self) { try compressed(.gzip, input, level: 42) }
    }

    @Test(arguments: CompressionCodec.allCases)
    func appendsAndReadsSlices(codec: CompressionCodec) throws {
        var output = ByteBuffer(bytes: [1, 2, 3])
        var input = ByteBuffer(bytes: [9, 9])
        input.writeBytes(Inputs.small)
        input.moveReaderIndex(forwardBy: 2)
        try codec.compress(input, into: &output)
        #expect(output.getBytes(at: 0, length: 3) == [1, 2, 3])
        output.moveReaderIndex(forwardBy: 3)
        #expect(bytes(try codec.decompress(output, maxOutputBytes: 1000)) == Inputs.small)
    }

    @Test func gzipFormat() throws {
        let packed = bytes(try compressed(.gzip, Inputs.small))
        #expect(Array(packed.prefix(3)) == [0x1F, 0x8B, 0x08])
        // Concatenated members decode as one stream; trailing junk after a member is ignored (as in Java).
        let twice = packed + bytes(try compressed(.gzip, Inputs.compressible))
        #expect(bytes(try CompressionCodec.gzip.decompress(buffer(twice), maxOutputBytes: 1 << 22))
            == Inputs.small + Inputs.compressible)
        #expect(bytes(try CompressionCodec.gzip.decompress(buffer(packed + [0, 0, 0]), maxOutputBytes: 100))
            == Inputs.small)
        // A zlib stream is accepted too.
        var zlibBytes = [UInt8](repeating: 0, count: 200)
        var zlibLength = uLong(zlibBytes.count)
        let status = Inputs.small.withUnsafeBufferPointer { source in
            compress2(&zlibBytes, &zlibLength, source.baseAddress, uLong(source.count), 6)
        }
        #expect(status == Z_OK)
        let zlibStream = Array(zlibBytes.prefix(Int(zlibLength)))
        #expect(bytes(try CompressionCodec.gzip.decompress(buffer(zlibStream), maxOutputBytes: 100)) == Inputs.small)
    }

    @Test func snappyXerialFraming() throws {
        let input = Inputs.compressible  // ~1 MiB: many 32 KiB blocks
        let packed = bytes(try compressed(.snappy, input))
        #expect(Array(packed.prefix(16)) == [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])
        // Walk the blocks: each holds at most 32 KiB.
        var offset = 16
        var blocks = 0
        while offset < packed.count {
            let length = packed[offset ..< offset + 4].reduce(0) { $0 << 8 | Int($1) }
            var uncompressed = 0
            packed[(offset + 4)...].withUnsafeBufferPointer { block in
                block.withMemoryRebound(to: CChar.self) {
                    _ = snappy_uncompressed_length($0.baseAddress, length, &uncompressed)
                }
            }
            #expect(uncompressed <= 32 * 1024 && uncompressed > 0)
            offset += 4 + length
            blocks += 1
        }
        #expect(offset == packed.count)
        #expect(blocks == (input.count + 32767) / 32768)
        // Header-only stream: empty.
        #expect(try CompressionCodec.snappy.decompress(buffer(Array(packed.prefix(16))), maxOutputBytes: 0).readableBytes == 0)
        // Concatenated xerial streams (a second header mid-stream), as SnappyInputStream accepts.
        let small = bytes(try compressed(.snappy, Inputs.small))
        #expect(bytes(try CompressionCodec.snappy.decompress(buffer(small + small), maxOutputBytes: 1000))
            == Inputs.small + Inputs.small)
    }

    /// A xerial stream built by hand from blocks of uneven sizes (as other writers produce).
    @Test func snappyHandBuiltMultiBlock() throws {
        let input = Inputs.compressible
        var stream: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]
        var offset = 0
        var sizes = [1, 100, 70_000, 5, 0, 200_000]
        while offset < input.count {
            let size = Swift.min(sizes.isEmpty ? 40_000 : sizes.removeFirst(), input.count - offset)
            let block = rawSnappy(Array(input[offset ..< offset + size]))
            stream += withUnsafeBytes(of: UInt32(block.count).bigEndian, Array.init) + block
            offset += size
        }
        #expect(bytes(try CompressionCodec.snappy.decompress(buffer(stream), maxOutputBytes: input.count)) == input)
        #expect(throws: CompressionError.self) {
            try CompressionCodec.snappy.decompress(buffer(stream), maxOutputBytes: input.count - 1)
        }
    }

    @Test func snappyRawBlock() throws {
        for input in [Inputs.small, Inputs.compressible, Inputs.random, [0]] {
            let raw = rawSnappy(input)
            #expect(bytes(try CompressionCodec.snappy.decompress(buffer(raw), maxOutputBytes: input.count)) == input)
        }
        #expect(try CompressionCodec.snappy.decompress(buffer(rawSnappy([])), maxOutputBytes: 0).readableBytes == 0)
        #expect(throws: CompressionError.self) {
            try CompressionCodec.snappy.decompress(buffer(rawSnappy(Inputs.small)), maxOutputBytes: Inputs.small.count - 1)
        }
    }

    @Test func lz4FrameFormat() throws {
        let packed = bytes(try compressed(.lz4, Inputs.compressible))
        #expect(Array(packed.prefix(4)) == [0x04, 0x22, 0x4D, 0x18])
        #expect(packed[4] & 0xC0 == 0x40 && packed[4] & 0x20 != 0)  // version 01, independent blocks
        #expect(packed[5] == 0x40)  // 64 KiB blocks
        #expect(LZ4.correctedHeader(buffer(packed)) == nil)
        // Other frame options written by other clients: block and content checksums, linked blocks, content size,
        // larger blocks, HC.
        for (blockSize, linked, contentSum, blockSum, contentSize, level) in [
            (LZ4F_max64KB, true, true, true, true, 0), (LZ4F_max4MB, false, true, false, false, 9),
            (LZ4F_max256KB, true, false, false, true, 3),
        ] {
            var preferences = LZ4F_preferences_t()
            preferences.frameInfo.blockSizeID = blockSize
            preferences.frameInfo.blockMode = linked ? LZ4F_blockLinked : LZ4F_blockIndependent
            preferences.frameInfo.contentChecksumFlag = contentSum ? LZ4F_contentChecksumEnabled : LZ4F_noContentChecksum
            preferences.frameInfo.blockChecksumFlag = blockSum ? LZ4F_blockChecksumEnabled : LZ4F_noBlockChecksum
            preferences.frameInfo.contentSize = contentSize ? UInt64(Inputs.compressible.count) : 0
            preferences.compressionLevel = Int32(level)
            let input = Inputs.compressible
            var frame = [UInt8](repeating: 0, count: LZ4F_compressFrameBound(input.count, &preferences))
            let length = LZ4F_compressFrame(&frame, frame.count, input, input.count, &preferences)
            #expect(LZ4F_isError(length) == 0)
            frame.removeSubrange(length...)
            #expect(bytes(try CompressionCodec.lz4.decompress(buffer(frame), maxOutputBytes: input.count)) == input)
            if contentSum {
                // With a content checksum, any flipped payload byte is caught.
                var corrupt = frame
                corrupt[length / 2] ^= 0x10
                #expect(throws: CompressionError.self) {
                    try CompressionCodec.lz4.decompress(buffer(corrupt), maxOutputBytes: input.count)
                }
            }
        }
    }

    /// KIP-57: Kafka wrote magic-0 LZ4 frames whose descriptor checksum also covers the 4 magic bytes.
    @Test func lz4BrokenHeaderChecksum() throws {
        for input in [Inputs.small, Inputs.compressible, Inputs.empty] {
            var frame = bytes(try compressed(.lz4, input))
            let flags = frame[4]
            let end = 6 + (flags & 0x08 != 0 ? 8 : 0) + (flags & 0x01 != 0 ? 4 : 0)
            let legacy = frame[0 ..< end].withUnsafeBytes { UInt8(truncatingIfNeeded: XXH32.hash($0) >> 8) }
            let standard = frame[4 ..< end].withUnsafeBytes { UInt8(truncatingIfNeeded: XXH32.hash($0) >> 8) }
            #expect(frame[end] == standard)
            try #require(legacy != standard)
            frame[end] = legacy
            #expect(bytes(try CompressionCodec.lz4.decompress(buffer(frame), maxOutputBytes: input.count)) == input)
            // A checksum that is neither is refused.
            for wrong in 0 ... 255 where UInt8(wrong) != legacy && UInt8(wrong) != standard {
                frame[end] = UInt8(wrong)
                #expect(throws: CompressionError.self) {
                    try CompressionCodec.lz4.decompress(buffer(frame), maxOutputBytes: input.count)
                }
                break
            }
        }
    }

    @Test func xxh32Vectors() {
        #expect([UInt8]().withUnsafeBytes { XXH32.hash($0) } == 0x02CC_5D05)
        #expect(Array("Nobody inspects the spammish repetition".utf8).withUnsafeBytes { XXH32.hash($0) } == 0xE229_3B2F)
    }

    @Test func zstdFrames() throws {
        let input = Inputs.compressible
        // A frame without a content size (as streaming writers such as zstd-jni's produce), with a checksum.
        let context = try #require(ZSTD_createCCtx())
        defer { ZSTD_freeCCtx(context) }
        ZSTD_CCtx_setParameter(context, ZSTD_c_contentSizeFlag, 0)
        ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)
        var frame = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
        var outBuffer = frame.withUnsafeMutableBytes { ZSTD_outBuffer(dst: $0.baseAddress, size: $0.count, pos: 0) }
        let remaining = input.withUnsafeBytes { source in
            var inBuffer = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
            return frame.withUnsafeMutableBytes { destination in
                outBuffer.dst = destination.baseAddress
                return ZSTD_compressStream2(context, &outBuffer, &inBuffer, ZSTD_e_end)
            }
        }
        #expect(remaining == 0)
        frame.removeSubrange(outBuffer.pos...)
        #expect(ZSTD_getFrameContentSize(frame, frame.count) == ZSTD_CONTENTSIZE_UNKNOWN)
        #expect(bytes(try CompressionCodec.zstd.decompress(buffer(frame), maxOutputBytes: input.count)) == input)
        #expect(throws: CompressionError.self) {
            try CompressionCodec.zstd.decompress(buffer(frame), maxOutputBytes: input.count - 1)
        }
        var corrupt = frame
        corrupt[frame.count / 2] ^= 0x01
        #expect(throws: CompressionError.self) {
            try CompressionCodec.zstd.decompress(buffer(corrupt), maxOutputBytes: input.count)
        }
        // Two concatenated frames.
        let small = bytes(try compressed(.zstd, Inputs.small))
        #expect(bytes(try CompressionCodec.zstd.decompress(buffer(small + frame), maxOutputBytes: 1 << 21))
            == Inputs.small + input)
        // Our frames carry the content size; a declared size over the limit fails before decoding.
        #expect(ZSTD_getFrameContentSize(small, small.count) == UInt64(Inputs.small.count))
    }

    @Test(arguments: compressedCodecs)
    func truncationThrows(codec: CompressionCodec) throws {
        let packed = bytes(try compressed(codec, Inputs.small))
        for length in 0 ..< packed.count {
            // A xerial stream cut right after its 16-byte header is a valid, empty stream.
            if codec == .snappy && length == 16 { continue }
            #expect(throws: CompressionError.self, "\(codec) cut at \(length)") {
                try codec.decompress(buffer(Array(packed.prefix(length))), maxOutputBytes: 1 << 20)
            }
        }
        let large = bytes(try compressed(codec, Inputs.compressible))
        for length in stride(from: 0, to: large.count, by: 997) where !(codec == .snappy && length == 16) {
            #expect(throws: CompressionError.self, "\(codec) cut at \(length)") {
                try codec.decompress(buffer(Array(large.prefix(length))), maxOutputBytes: 1 << 22)
            }
        }
    }

    /// Every single-byte corruption either throws or decodes to something (codecs without a checksum cannot
    /// notice a changed literal); none may crash, and header corruption must throw.
    @Test(arguments: compressedCodecs)
    func corruptionNeverCrashes(codec: CompressionCodec) throws {
        for input in [Inputs.small, Array(Inputs.compressible.prefix(5000))] {
            let packed = bytes(try compressed(codec, input))
            var detected = 0
            for position in 0 ..< packed.count {
                for flip: UInt8 in [0x01, 0x80, 0xFF] {
                    var corrupt = packed
                    corrupt[position] ^= flip
                    do {
                        let output = try codec.decompress(buffer(corrupt), maxOutputBytes: 1 << 20)
                        #expect(output.readableBytes <= 1 << 20)
                    } catch is CompressionError {
                        detected += 1
                    }
                }
            }
            #expect(detected > 0)
            var badMagic = packed
            badMagic[1] ^= 0x55
            #expect(throws: CompressionError.self, "\(codec)") {
                try codec.decompress(buffer(badMagic), maxOutputBytes: 1 << 20)
            }
        }
        // gzip has a CRC-32 and length trailer: every flip past the 10-byte header is caught.
        if codec == .gzip {
            let packed = bytes(try compressed(codec, Inputs.small))
            for position in 10 ..< packed.count {
                var corrupt = packed
                corrupt[position] ^= 0x01
                #expect(throws: CompressionError.self) { try codec.decompress(buffer(corrupt), maxOutputBytes: 1000) }
            }
        }
    }

    @Test(arguments: compressedCodecs)
    func garbageNeverCrashes(codec: CompressionCodec) {
        var random = Random(state: UInt64(codec.rawValue) * 1000 + 1)
        for round in 0 ..< 400 {
            var input = random.bytes(Int(random.next() % 300))
            // Give some of them a valid magic, so that the decoders get past their first check.
            if round % 2 == 0, !input.isEmpty {
                let prefix: [UInt8] = switch codec {
                case .gzip: [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 3]
                case .snappy: [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]
                case .lz4: [0x04, 0x22, 0x4D, 0x18, 0x60, 0x40, 0x82]
                default: [0x28, 0xB5, 0x2F, 0xFD]
                }
                input = prefix + input
            }
            _ = try? codec.decompress(buffer(input), maxOutputBytes: 1 << 16)
        }
    }

    @Test(arguments: compressedCodecs)
    func outputLimitIsEnforced(codec: CompressionCodec) throws {
        let zeros = [UInt8](repeating: 0, count: 10 << 20)
        let packed = try compressed(codec, zeros)
        #expect(throws: CompressionError.self, "\(codec)") { try codec.decompress(packed, maxOutputBytes: 1 << 20) }
        #expect(throws: CompressionError.self, "\(codec)") { try codec.decompress(packed, maxOutputBytes: zeros.count - 1) }
        #expect(throws: CompressionError.self, "\(codec)") { try codec.decompress(packed, maxOutputBytes: 0) }
        let exact = try codec.decompress(packed, maxOutputBytes: zeros.count)
        #expect(exact.readableBytes == zeros.count)
        #expect(exact.readableBytesView.allSatisfy { $0 == 0 })
    }

    @Test func noneCodec() throws {
        #expect(bytes(try CompressionCodec.none.decompress(buffer(Inputs.small), maxOutputBytes: 100)) == Inputs.small)
        #expect(throws: CompressionError.self) {
            try CompressionCodec.none.decompress(buffer(Inputs.small), maxOutputBytes: 3)
        }
    }

    @Test func concurrentUse() async throws {
        let input = Inputs.compressible
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for task in 0 ..< 16 {
                group.addTask {
                    let codec = compressedCodecs[task % compressedCodecs.count]
                    for _ in 0 ..< 5 {
                        let packed = try compressed(codec, input)
                        guard bytes(try codec.decompress(packed, maxOutputBytes: input.count)) == input else { return false }
                        _ = try? codec.decompress(buffer(Array(bytes(packed).prefix(100))), maxOutputBytes: input.count)
                    }
                    return true
                }
            }
            for try await ok in group { #expect(ok) }
        }
    }

    // MARK: Real Kafka data

    /// Record batches (magic 2) written by a Kafka 4 broker, one topic per codec.
    @Test(arguments: ["gzip", "snappy", "lz4", "zstd"])
    func kafkaLogSegments(codecName: String) throws {
        let root = try #require(Self.logSegments(), "shared/kafka-captures/log-segments not found")
        let directories = try #require(Self.list(root)).filter { $0.hasPrefix("acc-cmp-\(codecName)-") }
        try #require(!directories.isEmpty)
        let expected = try #require(compressedCodecs.first { "\($0)" == codecName })
        for directory in directories {
            let counts = try Self.walkSegment("\(root)/\(directory)/00000000000000000000.log")
            #expect(counts.batches > 0)
            #expect(counts.compressed[expected, default: 0] == counts.batches)
        }
    }

    /// Every segment of the capture: all batch CRCs match, every compressed batch decodes (this includes batches
    /// converted from magic 0 and 1 producers).
    @Test func allKafkaLogSegments() throws {
        let root = try #require(Self.logSegments(), "shared/kafka-captures/log-segments not found")
        var batches = 0
        var compressed: [CompressionCodec: Int] = [:]
        for directory in try #require(Self.list(root)) {
            guard let files = Self.list("\(root)/\(directory)") else { continue }
            for file in files where file.hasSuffix(".log") {
                let counts = try Self.walkSegment("\(root)/\(directory)/\(file)")
                batches += counts.batches
                compressed.merge(counts.compressed, uniquingKeysWith: +)
            }
        }
        #expect(batches > 1000)
        #expect(Set(compressed.keys) == Set(compressedCodecs))
    }

    /// Walks the batches of a segment file: checks each CRC-32C and decodes each compressed payload, whose records
    /// (varint length-prefixed) must tile it exactly and number `recordsCount`.
    private static func walkSegment(_ path: String) throws -> (batches: Int, compressed: [CompressionCodec: Int]) {
        let data = try #require(Self.read(path))
        var offset = 0
        var batches = 0
        var compressed: [CompressionCodec: Int] = [:]
        while data.count - offset >= 61 {
            let size = Int(Self.int32(data, offset + 8)) + 12
            guard size >= 61, size <= data.count - offset else { break }
            #expect(data[offset + 16] == 2, "magic of batch at \(offset) in \(path)")
            let stored = UInt32(bitPattern: Self.int32(data, offset + 17))
            let computed = data[(offset + 21) ..< (offset + size)].withUnsafeBytes { CRC32C.checksum($0) }
            #expect(computed == stored, "CRC of batch at \(offset) in \(path)")
            let attributes = Int(Self.int32(data, offset + 19) & 0xFFFF)
            let codec = try #require(CompressionCodec(rawValue: Int8(attributes & 7)))
            let recordCount = Int(Self.int32(data, offset + 57))
            if codec != .none {
                let payload = ByteBuffer(bytes: data[(offset + 61) ..< (offset + size)])
                let records = try codec.decompress(payload, maxOutputBytes: 64 << 20)
                #expect(Self.countRecords(Array(records.readableBytesView)) == recordCount, "\(path) at \(offset)")
                compressed[codec, default: 0] += 1
            }
            batches += 1
            offset += size
        }
        #expect(offset == data.count, "trailing bytes in \(path)")
        return (batches, compressed)
    }

    private static func int32(_ data: [UInt8], _ at: Int) -> Int32 {
        Int32(bitPattern: UInt32(data[at]) << 24 | UInt32(data[at + 1]) << 16 | UInt32(data[at + 2]) << 8 | UInt32(data[at + 3]))
    }

    /// Counts records by their length prefixes (zigzag varints); nil when they do not tile the block.
    private static func countRecords(_ block: [UInt8]) -> Int? {
        var offset = 0
        var count = 0
        while offset < block.count {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard offset < block.count, shift < 64 else { return nil }
                let byte = block[offset]
                offset += 1
                value |= UInt64(byte & 0x7F) << shift
                shift += 7
                if byte & 0x80 == 0 { break }
            }
            let length = Int(Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1))
            guard length >= 0, length <= block.count - offset else { return nil }
            offset += length
            count += 1
        }
        return count
    }

    /// `<repo>/../shared/kafka-captures/log-segments`, found from this source file's path.
    private static func logSegments() -> String? {
        var path = "\(#filePath)"
        for _ in 0 ..< 3 {  // Tests/KafkaProtocolTests/CompressionTests.swift -> repository root
            guard let slash = path.lastIndex(of: "/") else { return nil }
            path = String(path[..<slash])
        }
        let candidate = "\(path)/../shared/kafka-captures/log-segments"
        return list(candidate) == nil ? nil : candidate
    }

    private static func list(_ directory: String) -> [String]? {
        guard let handle = opendir(directory) else { return nil }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    private static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            result += chunk.prefix(count)
        }
        return result
    }
}

/// A raw snappy block (no framing), made with the C library directly.
private func rawSnappy(_ input: [UInt8]) -> [UInt8] {
    var output = [UInt8](repeating: 0, count: snappy_max_compressed_length(input.count))
    var length = output.count
    let status = input.withUnsafeBufferPointer { source in
        output.withUnsafeMutableBufferPointer { destination in
            source.withMemoryRebound(to: CChar.self) { s in
                destination.withMemoryRebound(to: CChar.self) { d in
                    snappy_compress(s.baseAddress, s.count, d.baseAddress, &length)
                }
            }
        }
    }
    precondition(status == SNAPPY_OK)
    return Array(output.prefix(length))
}
