import CKafkaCRC
import NIOCore
import Testing
@testable import KafkaProtocol

/// Deterministic pseudo-random bytes (SplitMix64).
private struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func next(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
    mutating func bytes(_ count: Int) -> [UInt8] {
        (0 ..< count).map { _ in UInt8(truncatingIfNeeded: next()) }
    }
}

@Suite struct ChecksumTests {
    let check: [UInt8] = Array("123456789".utf8)

    @Test func crc32cKnownVectors() {
        #expect(CRC32C.checksum(bytes: check) == 0xE306_9283)
        #expect(CRC32C.checksum(bytes: [UInt8]()) == 0)
        #expect(CRC32C.checksum(bytes: [UInt8](), continuing: 0x1234_5678) == 0x1234_5678)
        // RFC 3720 (iSCSI) B.4 test patterns.
        #expect(CRC32C.checksum(bytes: [UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum(bytes: [UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum(bytes: (0 ..< 32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum(bytes: (0 ..< 32).map { UInt8(31 - $0) }) == 0x113F_DB5C)
        check.withUnsafeBytes { raw in
            #expect(tributary_crc32c_sw(0, raw.baseAddress, raw.count) == 0xE306_9283)
        }
    }

    @Test func crc32KnownVectors() {
        #expect(CRC32.checksum(bytes: check) == 0xCBF4_3926)
        #expect(CRC32.checksum(bytes: [UInt8]()) == 0)
        #expect(CRC32.checksum(bytes: Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
    }

    @Test func continuation() {
        let all = Array("hello, kafka record batches".utf8)
        for split in 0 ... all.count {
            let first = CRC32C.checksum(bytes: all[..<split])
            #expect(CRC32C.checksum(bytes: all[split...], continuing: first) == CRC32C.checksum(bytes: all))
            let first32 = CRC32.checksum(bytes: all[..<split])
            #expect(CRC32.checksum(bytes: all[split...], continuing: first32) == CRC32.checksum(bytes: all))
        }
    }

    @Test func hardwareMatchesTable() {
        var random = SplitMix64(state: 42)
        let data = random.bytes(100_016)
        data.withUnsafeBytes { raw in
            for round in 0 ..< 600 {
                // Cover the short-block / long-block boundaries densely at first, then arbitrary lengths.
                let length = round < 200 ? round * 3 % 2000 : random.next(below: 100_001)
                let start = random.next(below: 16)
                let seed = UInt32(truncatingIfNeeded: random.next())
                let pointer = raw.baseAddress! + start
                let hardware = tributary_crc32c(seed, pointer, length)
                let software = tributary_crc32c_sw(seed, pointer, length)
                #expect(hardware == software, "length \(length) start \(start)")
                let cut = length == 0 ? 0 : random.next(below: length)
                let resumed = tributary_crc32c(tributary_crc32c(seed, pointer, cut), pointer + cut, length - cut)
                #expect(resumed == hardware, "length \(length) cut \(cut)")
            }
            // Exact multiples of the interleaved block sizes (3 x 8192 and 3 x 256) and their neighbours.
            for length in [768, 767, 769, 24576, 24575, 24577, 49152, 49152 + 768, 73728 + 7] {
                #expect(tributary_crc32c(0, raw.baseAddress, length) == tributary_crc32c_sw(0, raw.baseAddress, length))
            }
        }
    }

    @Test func hardwareIsUsedOnThisMachine() {
        #if arch(x86_64) || arch(arm64)
        // Not a requirement for correctness; documents what the benchmark measures.
        #expect(tributary_crc32c_hw_available() == 1)
        #endif
    }

    @Test func byteBufferOverloads() {
        var buffer = ByteBuffer()
        buffer.writeBytes([0xAA, 0xBB])
        buffer.writeBytes(check)
        buffer.moveReaderIndex(forwardBy: 2)
        #expect(CRC32C.checksum(buffer) == 0xE306_9283)
        #expect(CRC32.checksum(buffer) == 0xCBF4_3926)
        #expect(CRC32C.checksum(buffer, at: 2, length: 9) == 0xE306_9283)
        #expect(CRC32.checksum(buffer, at: 2, length: 9) == 0xCBF4_3926)
        #expect(CRC32C.checksum(buffer, at: 0, length: 2) == nil)  // before the reader index
        #expect(CRC32C.checksum(buffer, at: 3, length: 9) == nil)  // past the writer index
        #expect(CRC32C.checksum(buffer, at: 11, length: 0) == 0)
        #expect(CRC32C.checksum(ByteBuffer()) == 0)
    }
}
