import Foundation
import NIOCore
import Testing
@testable import KafkaProtocol

// MARK: - Helpers shared by the record tests

/// A seeded SplitMix64 generator, so a failing case replays from its seed.
struct RecordTestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    mutating func chance(_ oneIn: Int) -> Bool { next() % UInt64(oneIn) == 0 }
    mutating func bytes(_ count: Int) -> ByteBuffer {
        var b = ByteBuffer()
        for _ in 0 ..< count { b.writeInteger(UInt8(truncatingIfNeeded: next())) }
        return b
    }
    /// Sometimes null, sometimes empty, mostly short, sometimes long and compressible.
    mutating func nullableBytes() -> ByteBuffer? {
        switch int(0 ... 9) {
        case 0: return nil
        case 1: return ByteBuffer()
        case 2: return ByteBuffer(repeating: UInt8(int(0 ... 255)), count: int(100 ... 3000))
        default: return bytes(int(1 ... 40))
        }
    }
}

/// The shared data folder, found from this source file: Tests/KafkaProtocolTests/<file> -> repo -> ../shared.
enum RecordTestData {
    static let shared: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared")

    static func read(_ url: URL) throws -> ByteBuffer { ByteBuffer(bytes: try Data(contentsOf: url)) }

    static func files(in folder: URL, matching predicate: (String) -> Bool) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter(predicate).sorted().map { folder.appendingPathComponent($0) }
    }
}

extension ByteBuffer {
    /// Test convenience: the readable bytes as an array.
    var bytesArray: [UInt8] { Array(readableBytesView) }
}

func collectRecords(_ batch: RecordBatch) throws -> [Record] {
    var out: [Record] = []
    try batch.forEachRecord { out.append($0) }
    return out
}

/// The records of `batch` appended to a builder configured with the batch's header values (the base timestamp
/// only for LogAppendTime, where it cannot be derived from the records).
func reencode(_ batch: RecordBatch, compression: CompressionCodec? = nil) throws -> ByteBuffer {
    let h = batch.header
    var builder = RecordBatchBuilder(
        compression: compression ?? h.compression!, baseOffset: h.baseOffset, partitionLeaderEpoch: h.partitionLeaderEpoch,
        producerId: h.producerId, producerEpoch: h.producerEpoch, baseSequence: h.baseSequence,
        isTransactional: h.isTransactional, isControl: h.isControl,
        logAppendTime: h.timestampType == .logAppendTime ? h.maxTimestamp : nil,
        baseTimestamp: h.timestampType == .logAppendTime || h.hasDeleteHorizon ? h.baseTimestamp : nil,
        hasDeleteHorizon: h.hasDeleteHorizon)
    try batch.forEachRecord { try builder.append($0) }
    return try builder.build()
}

// MARK: - Varints

@Suite struct RecordZigZagVarintTests {
    @Test func knownEncodings() throws {
        let cases: [(Int32, [UInt8])] = [
            (0, [0x00]), (-1, [0x01]), (1, [0x02]), (-2, [0x03]), (63, [0x7E]), (-64, [0x7F]), (64, [0x80, 0x01]),
            (Int32.max, [0xFE, 0xFF, 0xFF, 0xFF, 0x0F]), (Int32.min, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
        ]
        for (value, bytes) in cases {
            var b = ByteBuffer()
            #expect(b.writeZigZagVarInt32(value) == bytes.count)
            #expect(b.bytesArray == bytes)
            #expect(ZigZag.size(ofVarInt32: value) == bytes.count)
            #expect(try b.readZigZagVarInt32() == value)
            #expect(b.readableBytes == 0)
        }
        var b = ByteBuffer()
        b.writeZigZagVarInt64(Int64.min)
        #expect(b.readableBytes == 10)
        #expect(try b.readZigZagVarInt64() == Int64.min)
    }

    @Test func randomRoundTrip() throws {
        var rng = RecordTestRandom(seed: 7)
        for _ in 0 ..< 2000 {
            let shift = rng.int(0 ... 63)
            let v64 = Int64(bitPattern: rng.next()) >> shift
            let v32 = Int32(truncatingIfNeeded: v64)
            var b = ByteBuffer()
            b.writeZigZagVarInt64(v64)
            b.writeZigZagVarInt32(v32)
            #expect(b.readableBytes == ZigZag.size(ofVarInt64: v64) + ZigZag.size(ofVarInt32: v32))
            #expect(try b.readZigZagVarInt64() == v64)
            #expect(try b.readZigZagVarInt32() == v32)
        }
    }

    @Test func malformed() {
        var tooLong = ByteBuffer(bytes: [0x80, 0x80, 0x80, 0x80, 0x80, 0x01])
        #expect(throws: ProtocolError.self) { try tooLong.readZigZagVarInt32() }
        #expect(tooLong.readerIndex == 0)
        var tooLong64 = ByteBuffer(bytes: [UInt8](repeating: 0xFF, count: 11))
        #expect(throws: ProtocolError.self) { try tooLong64.readZigZagVarInt64() }
        var cut = ByteBuffer(bytes: [0x80, 0x80])
        #expect(throws: ProtocolError.self) { try cut.readZigZagVarInt32() }
        #expect(cut.readerIndex == 0)
    }
}

// MARK: - Batches

@Suite struct RecordBatchTests {
    static let t0: Int64 = 1_700_000_000_000

    static func sampleBatch(_ codec: CompressionCodec = .none) throws -> ByteBuffer {
        var builder = RecordBatchBuilder(
            compression: codec, baseOffset: 0, producerId: 4000, producerEpoch: 3, baseSequence: 17)
        try builder.append(timestamp: t0, key: ByteBuffer(string: "k1"), value: ByteBuffer(string: "v1"))
        try builder.append(
            timestamp: t0 + 5, key: nil, value: ByteBuffer(repeating: 0x61, count: 300),
            headers: [RecordHeader(key: "h1", value: ByteBuffer(string: "x")), RecordHeader(key: "é", value: nil)])
        try builder.append(timestamp: t0 - 2, key: ByteBuffer(), value: nil)
        return try builder.build()
    }

    @Test(arguments: CompressionCodec.allCases)
    func roundTripEveryCodec(codec: CompressionCodec) throws {
        let bytes = try Self.sampleBatch(codec)
        let batch = try RecordBatch(bytes)
        let h = batch.header
        #expect(h.magic == 2)
        #expect(h.compression == codec)
        #expect(h.totalSize == bytes.readableBytes)
        #expect(h.recordsCount == 3)
        #expect(h.lastOffsetDelta == 2)
        #expect(h.baseTimestamp == Self.t0)
        #expect(h.maxTimestamp == Self.t0 + 5)
        #expect(h.producerId == 4000 && h.producerEpoch == 3 && h.baseSequence == 17 && h.lastSequence == 19)
        #expect(h.timestampType == .createTime && !h.isTransactional && !h.isControl && !h.hasDeleteHorizon)
        #expect(h.partitionLeaderEpoch == -1)
        try batch.validateCRC()

        let records = try collectRecords(batch)
        #expect(records.count == 3)
        #expect(records.map(\.offset) == [0, 1, 2])
        #expect(records.map(\.timestamp) == [Self.t0, Self.t0 + 5, Self.t0 - 2])
        #expect(records[0].key == ByteBuffer(string: "k1") && records[0].value == ByteBuffer(string: "v1"))
        #expect(records[1].key == nil && records[1].value?.readableBytes == 300)
        let headers = Array(records[1].headers)
        #expect(headers.count == 2)
        #expect(headers[0].key == "h1" && headers[0].value == ByteBuffer(string: "x"))
        #expect(headers[1].key == "é" && headers[1].value == nil)
        #expect(records[2].key == ByteBuffer() && records[2].value == nil && records[2].headers.isEmpty)

        // Re-encoding gives identical bytes uncompressed, identical records compressed.
        let again = try reencode(batch)
        if codec == .none {
            #expect(again == bytes)
        } else {
            #expect(try collectRecords(try RecordBatch(again)) == records.map { $0 })
        }
        let plain = try reencode(batch, compression: CompressionCodec.none)
        #expect(try RecordBatch(plain).recordsRegion == (try batch.decompressedRecords()))
        #expect(try Self.sampleBatch(.none) == plain)
    }

    @Test func writeIntoAppendsAfterExistingBytes() throws {
        var builder = RecordBatchBuilder(compression: .gzip)
        try builder.append(timestamp: 5, key: nil, value: ByteBuffer(string: "x"))
        var out = ByteBuffer(string: "prefix")
        try builder.write(into: &out)
        out.moveReaderIndex(forwardBy: 6)
        let batch = try RecordBatch(out)
        try batch.validateCRC()
        #expect(try collectRecords(batch).first?.value == ByteBuffer(string: "x"))
    }

    @Test func emptyBatch() throws {
        let builder = RecordBatchBuilder()
        let bytes = try builder.build()
        #expect(bytes.readableBytes == 61)
        let batch = try RecordBatch(bytes)
        try batch.validateCRC()
        #expect(batch.header.recordsCount == 0 && batch.header.lastOffsetDelta == -1 && batch.header.baseTimestamp == -1)
        #expect(try collectRecords(batch).isEmpty)
    }

    @Test func attributes() {
        var a = RecordBatchAttributes(compression: .zstd, timestampType: .logAppendTime, isTransactional: true, isControl: true, hasDeleteHorizon: true)
        #expect(a.rawValue == 0x7C)
        #expect(a.compression == .zstd && a.timestampType == .logAppendTime && a.isTransactional && a.isControl && a.hasDeleteHorizon)
        a.isControl = false
        a.timestampType = .createTime
        #expect(a.rawValue == 0x54)
        #expect(RecordBatchAttributes(rawValue: 0x07).compression == nil)
    }

    @Test func patchHelpers() throws {
        var bytes = try Self.sampleBatch(.lz4)
        let crc = try RecordBatch(bytes).header.crc
        try RecordBatchHeader.setBaseOffset(1234, in: &bytes, batchAt: 0)
        try RecordBatchHeader.setPartitionLeaderEpoch(9, in: &bytes, batchAt: 0)
        var batch = try RecordBatch(bytes)
        #expect(batch.header.baseOffset == 1234 && batch.header.partitionLeaderEpoch == 9 && batch.header.crc == crc)
        try batch.validateCRC()
        #expect(try collectRecords(batch).map(\.offset) == [1234, 1235, 1236])

        try batch.setMaxTimestamp(99, timestampType: .logAppendTime)
        #expect(batch.header.maxTimestamp == 99 && batch.header.timestampType == .logAppendTime)
        #expect(batch.header.crc != crc)
        try batch.validateCRC()
        #expect(try collectRecords(batch).allSatisfy { $0.timestamp == 99 })
        batch.setBaseOffset(5)
        batch.setPartitionLeaderEpoch(1)
        try batch.validateCRC()
        // Setting the same values again leaves the bytes alone.
        let before = batch.buffer
        try batch.setMaxTimestamp(99, timestampType: .logAppendTime)
        #expect(batch.buffer == before)
        try batch.setMaxTimestamp(Self.t0 + 5, timestampType: .createTime)
        #expect(batch.buffer == { var b = try! Self.sampleBatch(.lz4); b.setInteger(Int64(5), at: 0); b.setInteger(Int32(1), at: 12); return b }())

        // A batch in the middle of a larger buffer.
        var region = ByteBuffer(string: "xyz")
        var batch2 = try Self.sampleBatch()
        region.writeBuffer(&batch2)
        try RecordBatchHeader.setMaxTimestamp(7, timestampType: .createTime, in: &region, batchAt: 3)
        region.moveReaderIndex(forwardBy: 3)
        try RecordBatch(region).validateCRC()
        #expect(throws: ProtocolError.self) { try RecordBatchHeader.setBaseOffset(1, in: &region, batchAt: region.writerIndex - 10) }
    }

    @Test func iteratorSplitsAndKeepsIncompleteTail() throws {
        var region = ByteBuffer()
        var all: [ByteBuffer] = []
        for codec in CompressionCodec.allCases {
            var b = try Self.sampleBatch(codec)
            all.append(b)
            region.writeBuffer(&b)
        }
        #expect(RecordBatchIterator.detectMagic(region) == 2)
        let (batches, tail) = try RecordBatchIterator.split(region)
        #expect(batches.map(\.buffer) == all)
        #expect(tail == nil)

        // Every truncation point: complete batches before it, the rest reported as tail, never an error.
        for cut in 0 ..< region.readableBytes {
            let partial = region.getSlice(at: 0, length: cut)!
            var iterator = RecordBatchIterator(partial)
            var consumed = 0
            while let batch = try iterator.next() { consumed += batch.sizeInBytes }
            #expect(consumed + (iterator.incompleteTail?.readableBytes ?? 0) == cut)
            #expect(iterator.bytesConsumed == cut)
        }
    }

    @Test func iteratorRejectsBadFraming() throws {
        var legacy = try LegacyMessageSetBuilder(magic: 1)
        try legacy.append(timestamp: 1, key: nil, value: ByteBuffer(string: "v"))
        let legacySet = try legacy.build()
        #expect(RecordBatchIterator.detectMagic(legacySet) == 1)
        var it = RecordBatchIterator(legacySet)
        #expect(throws: ProtocolError.self) { try it.next() }

        var small = try Self.sampleBatch()
        small.setInteger(Int32(10), at: 8)
        var it2 = RecordBatchIterator(small)
        #expect(throws: ProtocolError.self) { try it2.next() }

        var big = RecordBatchIterator(try Self.sampleBatch(), maxBatchSize: 100)
        #expect(throws: ProtocolError.self) { try big.next() }
    }

    @Test func controlBatches() throws {
        for commit in [true, false] {
            let marker = EndTransactionMarker(commit: commit, coordinatorEpoch: 42)
            let bytes = try RecordBatchBuilder.endTransactionMarker(
                marker, producerId: 33, producerEpoch: 2, timestamp: Self.t0, baseOffset: 10, partitionLeaderEpoch: 4)
            let batch = try RecordBatch(bytes)
            try batch.validateCRC()
            let h = batch.header
            #expect(h.attributes.rawValue == 0x30 && h.isControl && h.isTransactional)
            #expect(h.producerId == 33 && h.producerEpoch == 2 && h.baseSequence == -1 && h.recordsCount == 1)
            #expect(h.baseOffset == 10 && h.partitionLeaderEpoch == 4 && h.baseTimestamp == Self.t0 && h.maxTimestamp == Self.t0)
            let records = try collectRecords(batch)
            #expect(records.count == 1)
            #expect(records[0].key?.bytesArray == [0, 0, 0, commit ? 1 : 0])
            #expect(records[0].value?.bytesArray == [0, 0, 0, 0, 0, 42])
            #expect(try ControlRecordType(key: records[0].key) == (commit ? .commit : .abort))
            #expect(try EndTransactionMarker(record: records[0]) == marker)
            #expect(try reencode(batch) == bytes)
        }
        let leaderChange = try RecordBatchBuilder.controlBatch(type: .leaderChange, value: ByteBuffer(bytes: [0, 0, 1]), timestamp: 3)
        let record = try collectRecords(try RecordBatch(leaderChange))[0]
        #expect(try ControlRecordType(key: record.key) == .leaderChange)
        #expect(throws: ProtocolError.self) { try EndTransactionMarker(record: record) }
        #expect(!(try RecordBatch(leaderChange)).header.isTransactional)

        for raw in Int16(-3) ... 9 { #expect(ControlRecordType(rawValue: raw).rawValue == raw) }
        #expect(ControlRecordType(rawValue: 6) == .kraftVoters && ControlRecordType(rawValue: 7) == .unknown(7))
        // A newer key version is read as the current one; a short key is invalid.
        #expect(try ControlRecordType(key: ByteBuffer(bytes: [0, 5, 0, 1])) == .commit)
        #expect(throws: ProtocolError.self) { try ControlRecordType(key: ByteBuffer(bytes: [0, 0, 1])) }
        #expect(throws: ProtocolError.self) { try ControlRecordType(key: nil) }
    }

    @Test func transactionalAndLogAppendTimeAndDeleteHorizon() throws {
        var builder = RecordBatchBuilder(
            compression: .snappy, producerId: 1, producerEpoch: 0, baseSequence: Int32.max - 1, isTransactional: true,
            logAppendTime: 777)
        for i in 0 ..< 4 { try builder.append(timestamp: Self.t0 + Int64(i), key: nil, value: ByteBuffer(string: "\(i)")) }
        let batch = try RecordBatch(try builder.build())
        #expect(batch.header.isTransactional && batch.header.timestampType == .logAppendTime && batch.header.maxTimestamp == 777)
        #expect(batch.header.lastSequence == 1)  // Int32.max - 1 + 3 wraps to 0, 1
        #expect(try collectRecords(batch).map(\.timestamp) == [777, 777, 777, 777])
        #expect(try collectRecords(batch).map(\.timestampDelta) == [0, 1, 2, 3])

        var cleaned = RecordBatchBuilder(baseTimestamp: 5000, hasDeleteHorizon: true)
        try cleaned.append(offsetDelta: 3, timestamp: Self.t0, key: ByteBuffer(string: "k"), value: nil, headers: [RecordHeader]())
        let cb = try RecordBatch(try cleaned.build())
        #expect(cb.header.hasDeleteHorizon && cb.header.deleteHorizon == 5000 && cb.header.lastOffsetDelta == 3)
        #expect(try collectRecords(cb)[0].timestamp == Self.t0)
        #expect(try reencode(cb) == cb.buffer)
    }

    @Test func builderRejectsBadInput() throws {
        var builder = RecordBatchBuilder()
        try builder.append(offsetDelta: 5, timestamp: 0, key: nil, value: nil, headers: [RecordHeader]())
        #expect(throws: ProtocolError.self) {
            try builder.append(offsetDelta: 5, timestamp: 0, key: nil, value: nil, headers: [RecordHeader]())
        }
        var farBase = RecordBatchBuilder(baseTimestamp: 1)
        #expect(throws: ProtocolError.self) { try farBase.append(timestamp: Int64.min, key: nil, value: nil) }
        #expect(throws: ProtocolError.self) { try LegacyMessageSetBuilder(magic: 1, compression: .zstd) }
        #expect(throws: ProtocolError.self) { try LegacyMessageSetBuilder(magic: 2) }
    }

    @Test func decompressionCap() throws {
        var builder = RecordBatchBuilder(compression: .zstd)
        try builder.append(timestamp: 0, key: nil, value: ByteBuffer(repeating: 0, count: 100_000))
        let batch = try RecordBatch(try builder.build())
        #expect(batch.sizeInBytes < 1000)
        #expect(throws: ProtocolError.self) { try batch.records(maxDecompressedBytes: 50_000) }
        #expect(try collectRecords(batch).count == 1)
    }

    /// Random records for every codec: decode(encode(x)) == x and re-encoding reproduces the bytes.
    @Test func randomRecordsRoundTrip() throws {
        var rng = RecordTestRandom(seed: 0x5EED)
        for caseIndex in 0 ..< 300 {
            let codec = CompressionCodec.allCases[caseIndex % 5]
            let base = Int64(bitPattern: rng.next() >> 24) - (1 << 39)
            var builder = RecordBatchBuilder(
                compression: codec, baseOffset: Int64(rng.int(0 ... 1 << 40)),
                partitionLeaderEpoch: Int32(rng.int(-1 ... 100)),
                producerId: rng.chance(2) ? -1 : Int64(rng.int(0 ... 1 << 30)), producerEpoch: Int16(rng.int(-1 ... 5)),
                baseSequence: Int32(rng.int(-1 ... 1000)), isTransactional: rng.chance(3))
            var expected: [(Int32, Int64, ByteBuffer?, ByteBuffer?, [RecordHeader])] = []
            var offsetDelta: Int32 = -1
            for _ in 0 ..< rng.int(0 ... 12) {
                offsetDelta += Int32(rng.chance(4) ? rng.int(1 ... 1000) : 1)
                let ts = base + Int64(rng.int(-100_000 ... 100_000))
                let key = rng.nullableBytes(), value = rng.nullableBytes()
                var headers: [RecordHeader] = []
                for _ in 0 ..< (rng.chance(2) ? 0 : rng.int(1 ... 4)) {
                    headers.append(RecordHeader(keyBytes: rng.bytes(rng.int(0 ... 8)), value: rng.nullableBytes()))
                }
                try builder.append(offsetDelta: offsetDelta, timestamp: ts, key: key, value: value, headers: headers)
                expected.append((offsetDelta, ts, key, value, headers))
            }
            let bytes = try builder.build()
            let batch = try RecordBatch(bytes)
            try batch.validateCRC()
            let records = try collectRecords(batch)
            try #require(records.count == expected.count, "case \(caseIndex)")
            for (r, e) in zip(records, expected) {
                #expect(r.offsetDelta == e.0 && r.offset == batch.header.baseOffset + Int64(e.0))
                #expect(r.timestamp == e.1)
                #expect(r.key == e.2 && r.value == e.3)
                #expect(Array(r.headers) == e.4)
            }
            if !expected.isEmpty {
                #expect(batch.header.maxTimestamp == max(-1, expected.map(\.1).max()!))
                #expect(batch.header.lastOffsetDelta == expected.last!.0)
            }
            let again = try reencode(batch)
            if codec == .none { #expect(again == bytes, "case \(caseIndex)") }
            #expect(try RecordBatch(try reencode(batch, compression: CompressionCodec.none)).recordsRegion == (try batch.decompressedRecords()))
        }
    }

    /// Flipping any byte or cutting the batch anywhere ends in a thrown error or a successful parse, never a trap.
    @Test(arguments: CompressionCodec.allCases)
    func corruptInputNeverTraps(codec: CompressionCodec) throws {
        let bytes = try Self.sampleBatch(codec)
        func exercise(_ b: ByteBuffer, checkCRC: Bool) -> Bool {
            do {
                var it = RecordBatchIterator(b)
                while let batch = try it.next() {
                    if checkCRC { try batch.validateCRC() }
                    _ = batch.header.attributes.description
                    var records = try batch.records()
                    while let r = try records.next() {
                        for h in r.headers { _ = h.key }
                        if batch.header.isControl { _ = try? ControlRecordType(key: r.key) }
                    }
                }
                return true
            } catch is ProtocolError {
                return false
            } catch {
                Issue.record("non-ProtocolError \(error)")
                return false
            }
        }
        #expect(exercise(bytes, checkCRC: true))
        var accepted = 0
        for i in 0 ..< bytes.readableBytes {
            for mask: UInt8 in [0xFF, 0x01, 0x80] {
                var b = bytes
                b.setInteger(b.getInteger(at: i, as: UInt8.self)! ^ mask, at: i)
                // With the CRC checked, only the bytes outside it may change and still parse.
                if exercise(b, checkCRC: true) {
                    accepted += 1
                    #expect(i < RecordBatchHeader.Position.magic, "byte \(i) flipped yet accepted")
                }
                _ = exercise(b, checkCRC: false)
            }
        }
        #expect(accepted > 0)
        for cut in 0 ..< bytes.readableBytes {
            var b = bytes.getSlice(at: 0, length: cut)!
            _ = exercise(b, checkCRC: false)
            // Also a batch whose length field agrees with the cut, so the records themselves are truncated.
            if cut >= RecordBatchHeader.size {
                b.setInteger(Int32(cut - 12), at: 8)
                #expect(!exercise(b, checkCRC: false) || codec == .none && cut == bytes.readableBytes)
            }
        }
    }

    @Test func recordValidation() throws {
        func batch(records: [UInt8], count: Int32) throws -> RecordBatch {
            let builder = RecordBatchBuilder()
            let empty = try builder.build()
            var b = empty
            b.writeBytes(records)
            b.setInteger(Int32(b.readableBytes - 12), at: 8)
            b.setInteger(count, at: 57)
            return try RecordBatch(b)
        }
        func fails(_ bytes: [UInt8], count: Int32 = 1) -> Bool {
            do { _ = try collectRecords(try batch(records: bytes, count: count)); return false } catch { return error is ProtocolError }
        }
        // length 6: attributes 0, tsDelta 0, offsetDelta 0, key -1, value -1, headers 0
        let ok: [UInt8] = [0x0C, 0, 0, 0, 0x01, 0x01, 0x00]
        #expect(!fails(ok))
        #expect(fails(ok, count: -1))
        #expect(fails(ok, count: 2))
        #expect(fails(ok, count: 0))  // bytes left over
        #expect(fails(ok + [0]))  // bytes left after the last record
        #expect(fails([0x0E, 0, 0, 0, 0x01, 0x01, 0x00, 0x00]))  // length says one byte more than the fields use
        #expect(fails([0x0C, 0, 0, 0, 0x01, 0x01, 0x01]))  // negative header count
        #expect(fails([0x01, 0, 0, 0, 0x01, 0x01, 0x00]))  // negative record length
        #expect(fails([0x10, 0, 0, 0, 0x01, 0x01, 0x02, 0x01, 0x00]))  // negative header key length
        #expect(fails([0x0C, 0, 0, 0, 0x08, 0x01, 0x00]))  // key longer than the record
        // Negative key lengths other than -1 read as null, as in Kafka.
        let nullKey = try collectRecords(try batch(records: [0x0C, 0, 0, 0, 0x03, 0x01, 0x00], count: 1))
        #expect(nullKey[0].key == nil)
        // An unknown codec.
        var bad = try Self.sampleBatch()
        bad.setInteger(Int16(6), at: 21)
        #expect(throws: ProtocolError.self) { try RecordBatch(bad).records() }
    }
}
