import CKafkaCRC
import CLZ4
import CSnappy
import CZlib
import CZstd
import KafkaProtocol
import NIOCore

/// Measures CRC-32C throughput and, for each codec, compression and decompression through the KafkaProtocol API
/// next to the same C library called directly with equivalent parameters (preallocated buffers, reused contexts
/// where the Swift side reuses them), on ~1 MiB of deterministic JSON-like log lines.
///
/// `seconds` is the time spent on each of the 18 measurements (2 for CRC-32C, 4 per codec), after one warm-up
/// call each. Returns the report, one line per CRC/codec operation (the caller prints it).
func runCodecBenchmark(seconds: Double) -> [String] {
    let budget = Duration.seconds(Swift.max(seconds, 0.01))
    var lines: [String] = []

    // CRC-32C on 1 MiB, single thread.
    let crcInput = BenchData.pseudoRandom(1 << 20)
    crcInput.withUnsafeBytes { raw in
        var sink: UInt32 = 0
        let hardware = BenchData.measure(budget: budget, bytes: raw.count) { sink &+= CRC32C.checksum(raw, continuing: sink) }
        let table = BenchData.measure(budget: budget, bytes: raw.count) {
            sink &+= tributary_crc32c_sw(sink, raw.baseAddress, raw.count)
        }
        let unit = tributary_crc32c_hw_available() != 0 ? "hardware" : "table (no CRC instruction)"
        lines.append(
            "crc32c  1 MiB buffers, 1 thread: \(BenchData.format(hardware / 1e9)) GB/s via \(unit); "
                + "portable table \(BenchData.format(table / 1e9)) GB/s  [\(sink & 1)]")
    }

    let input = BenchData.logLines(targetBytes: 1 << 20)
    let inputBuffer = ByteBuffer(bytes: input)
    lines.append("codecs  input \(input.count) bytes of JSON-like log lines; MB/s of uncompressed data (1 MB = 10^6 bytes)")

    for codec in [CompressionCodec.gzip, .snappy, .lz4, .zstd] {
        var compressed = ByteBuffer()
        do { try codec.compress(inputBuffer, into: &compressed) } catch {
            lines.append("\(codec): compression failed: \(error)")
            continue
        }
        // Check the round trip once before timing.
        guard let decoded = try? codec.decompress(compressed, maxOutputBytes: input.count),
              decoded.readableBytesView.elementsEqual(input)
        else {
            lines.append("\(codec): round trip failed")
            continue
        }
        let direct = DirectCodec(codec: codec, input: input)
        let compressedBytes = Array(compressed.readableBytesView)

        var output = ByteBuffer()
        output.reserveCapacity(compressed.readableBytes * 2 + 1024)
        let oursCompress = BenchData.measure(budget: budget, bytes: input.count) {
            output.clear()
            try? codec.compress(inputBuffer, into: &output)
        }
        let cCompress = BenchData.measure(budget: budget, bytes: input.count) { direct.compress() }
        var sink = 0
        let oursDecompress = BenchData.measure(budget: budget, bytes: input.count) {
            sink &+= (try? codec.decompress(compressed, maxOutputBytes: input.count))?.readableBytes ?? 0
        }
        let cDecompress = BenchData.measure(budget: budget, bytes: input.count) {
            sink &+= direct.decompress(compressedBytes)
        }
        let name = "\(codec)".padding(6)
        let ratio = Double(input.count) / Double(compressed.readableBytes)
        lines.append(
            "\(name)  compress   ours \(BenchData.format(oursCompress / 1e6).padding(8, left: true)) MB/s   "
                + "C \(BenchData.format(cCompress / 1e6).padding(8, left: true)) MB/s   "
                + "\(BenchData.percent(oursCompress, cCompress))   ratio \(BenchData.format(ratio))")
        lines.append(
            "\(name)  decompress ours \(BenchData.format(oursDecompress / 1e6).padding(8, left: true)) MB/s   "
                + "C \(BenchData.format(cDecompress / 1e6).padding(8, left: true)) MB/s   "
                + "\(BenchData.percent(oursDecompress, cDecompress))")
        if sink == 42 { lines.append("") }  // keep the results alive
        direct.release()
    }
    return lines
}

private enum BenchData {
    /// Runs `body` repeatedly for about `budget` (after one warm-up call); returns bytes per second.
    static func measure(budget: Duration, bytes: Int, _ body: () -> Void) -> Double {
        body()
        let clock = ContinuousClock()
        let start = clock.now
        var iterations = 0
        var elapsed = Duration.zero
        repeat {
            body()
            iterations += 1
            elapsed = clock.now - start
        } while elapsed < budget
        let secondsElapsed = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return Double(bytes) * Double(iterations) / secondsElapsed
    }

    static func format(_ value: Double) -> String {
        let scaled = (value * 10).rounded() / 10
        return scaled >= 100 ? String(Int(scaled.rounded())) : String(scaled)
    }

    /// Ours relative to C, e.g. "-3.2%" (slower) or "+1.0%".
    static func percent(_ ours: Double, _ c: Double) -> String {
        let delta = (ours / c - 1) * 100
        return "\(delta >= 0 ? "+" : "")\(format(delta))% vs C"
    }

    static func pseudoRandom(_ count: Int) -> [UInt8] {
        var state: UInt64 = 0x1234_5678
        return (0 ..< count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    /// JSON-like log lines with realistic repetition (field names, levels, hosts, paths), generated
    /// deterministically, until `targetBytes`.
    static func logLines(targetBytes: Int) -> [UInt8] {
        let levels = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "INFO", "ERROR"]
        let services = ["checkout", "payments", "inventory", "search", "auth", "gateway"]
        let paths = ["/api/v2/orders", "/api/v2/cart/items", "/api/v2/users/me", "/healthz", "/api/v2/search"]
        let messages = [
            "request completed", "cache miss, loading from store", "retrying upstream call",
            "user session refreshed", "slow query detected", "published event to topic orders",
        ]
        var state: UInt64 = 42
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var output: [UInt8] = []
        output.reserveCapacity(targetBytes + 512)
        var timestamp = 1_767_225_600_000
        while output.count < targetBytes {
            timestamp += next(40)
            let line =
                "{\"ts\":\(timestamp),\"level\":\"\(levels[next(levels.count)])\",\"service\":\"\(services[next(services.count)])\","
                + "\"host\":\"node-\(next(24)).dc\(next(3)).example.net\",\"trace\":\"\(String(next(1 << 30), radix: 16))\","
                + "\"method\":\"\(next(4) == 0 ? "POST" : "GET")\",\"path\":\"\(paths[next(paths.count)])/\(next(5000))\","
                + "\"status\":\(next(20) == 0 ? 500 : 200),\"latency_ms\":\(next(900)),\"msg\":\"\(messages[next(messages.count)])\"}\n"
            output.append(contentsOf: line.utf8)
        }
        return output
    }
}

extension String {
    fileprivate func padding(_ width: Int, left: Bool = false) -> String {
        let pad = String(repeating: " ", count: Swift.max(0, width - count))
        return left ? pad + self : self + pad
    }
}

/// The codec libraries called directly, with the parameters KafkaProtocol uses and buffers allocated once.
private final class DirectCodec {
    let codec: CompressionCodec
    let input: [UInt8]
    var scratch: UnsafeMutableRawBufferPointer
    var decoded: UnsafeMutableRawBufferPointer
    var zstdC: OpaquePointer?
    var zstdD: OpaquePointer?
    var lz4D: OpaquePointer?

    init(codec: CompressionCodec, input: [UInt8]) {
        self.codec = codec
        self.input = input
        let bound = Swift.max(
            Int(compressBound(uLong(input.count))) + 64, snappy_max_compressed_length(input.count) + input.count / 1000 + 64,
            ZSTD_compressBound(input.count), input.count + input.count / 100 + 1024)
        scratch = .allocate(byteCount: bound * 2, alignment: 16)
        decoded = .allocate(byteCount: input.count, alignment: 16)
        switch codec {
        case .zstd:
            zstdC = ZSTD_createCCtx()
            zstdD = ZSTD_createDCtx()
        case .lz4:
            var context: OpaquePointer?
            _ = LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))
            lz4D = context
        default: break
        }
    }

    func release() {
        scratch.deallocate()
        decoded.deallocate()
        if let zstdC { ZSTD_freeCCtx(zstdC) }
        if let zstdD { ZSTD_freeDCtx(zstdD) }
        if let lz4D { LZ4F_freeDecompressionContext(lz4D) }
    }

    /// Returns the compressed size.
    @discardableResult
    func compress() -> Int {
        input.withUnsafeBytes { source in
            let out = scratch.baseAddress!
            switch codec {
            case .gzip:
                var stream = z_stream()
                deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                              Int32(MemoryLayout<z_stream>.size))
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress!.assumingMemoryBound(to: Bytef.self))
                stream.avail_in = uInt(source.count)
                stream.next_out = out.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(scratch.count)
                deflate(&stream, Z_FINISH)
                let written = Int(stream.total_out)
                deflateEnd(&stream)
                return written
            case .snappy:
                // xerial framing, 32 KiB blocks.
                var written = 16
                var offset = 0
                while offset < source.count {
                    let length = Swift.min(32 * 1024, source.count - offset)
                    var compressedLength = scratch.count - written - 4
                    snappy_compress(
                        (source.baseAddress! + offset).assumingMemoryBound(to: CChar.self), length,
                        (out + written + 4).assumingMemoryBound(to: CChar.self), &compressedLength)
                    out.storeBytes(of: UInt32(compressedLength).bigEndian, toByteOffset: written, as: UInt32.self)
                    written += 4 + compressedLength
                    offset += length
                }
                return written
            case .lz4:
                var preferences = LZ4F_preferences_t()
                preferences.frameInfo.blockSizeID = LZ4F_max64KB
                preferences.frameInfo.blockMode = LZ4F_blockIndependent
                return LZ4F_compressFrame(out, scratch.count, source.baseAddress, source.count, &preferences)
            case .zstd:
                ZSTD_CCtx_reset(zstdC, ZSTD_reset_session_and_parameters)
                ZSTD_CCtx_setParameter(zstdC, ZSTD_c_compressionLevel, 3)
                return ZSTD_compress2(zstdC, out, scratch.count, source.baseAddress, source.count)
            case .none:
                return 0
            }
        }
    }

    /// Decodes `compressed` into the preallocated output; returns the decoded size.
    func decompress(_ compressed: [UInt8]) -> Int {
        compressed.withUnsafeBytes { source in
            let out = decoded.baseAddress!
            switch codec {
            case .gzip:
                var stream = z_stream()
                inflateInit2_(&stream, 47, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress!.assumingMemoryBound(to: Bytef.self))
                stream.avail_in = uInt(source.count)
                stream.next_out = out.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(decoded.count)
                inflate(&stream, Z_FINISH)
                let written = Int(stream.total_out)
                inflateEnd(&stream)
                return written
            case .snappy:
                var offset = 16
                var written = 0
                while offset + 4 <= source.count {
                    let length = Int(UInt32(bigEndian: source.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                    var produced = decoded.count - written
                    snappy_uncompress(
                        (source.baseAddress! + offset + 4).assumingMemoryBound(to: CChar.self), length,
                        (out + written).assumingMemoryBound(to: CChar.self), &produced)
                    written += produced
                    offset += 4 + length
                }
                return written
            case .lz4:
                LZ4F_resetDecompressionContext(lz4D)
                var sourceSize = source.count
                var destinationSize = decoded.count
                _ = LZ4F_decompress(lz4D, out, &destinationSize, source.baseAddress, &sourceSize, nil)
                return destinationSize
            case .zstd:
                ZSTD_DCtx_reset(zstdD, ZSTD_reset_session_only)
                var inBuffer = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
                var outBuffer = ZSTD_outBuffer(dst: out, size: decoded.count, pos: 0)
                _ = ZSTD_decompressStream(zstdD, &outBuffer, &inBuffer)
                return outBuffer.pos
            case .none:
                return 0
            }
        }
    }
}
