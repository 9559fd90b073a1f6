import Foundation
import NIOCore
import Testing
@testable import KafkaProtocol

/// Minimal readers for the non-flexible Produce request and Fetch response layouts, enough to pull out the
/// `records` fields of captured frames (test-local: the real codecs live in Generated/).
struct CapturedFrameReader {
    var buffer: ByteBuffer

    init(file: URL) throws {
        buffer = try RecordTestData.read(file)
        _ = try int32()  // frame size
    }

    mutating func int16() throws -> Int16 {
        guard let v = buffer.readInteger(endianness: .big, as: Int16.self) else { throw ProtocolError.truncated("int16") }
        return v
    }
    mutating func int32() throws -> Int32 {
        guard let v = buffer.readInteger(endianness: .big, as: Int32.self) else { throw ProtocolError.truncated("int32") }
        return v
    }
    mutating func int64() throws -> Int64 {
        guard let v = buffer.readInteger(endianness: .big, as: Int64.self) else { throw ProtocolError.truncated("int64") }
        return v
    }
    mutating func string() throws -> String? {
        let n = try int16()
        guard n >= 0 else { return nil }
        guard let s = buffer.readString(length: Int(n)) else { throw ProtocolError.truncated("string") }
        return s
    }
    mutating func bytes() throws -> ByteBuffer? {
        let n = try int32()
        guard n >= 0 else { return nil }
        guard let s = buffer.readSlice(length: Int(n)) else { throw ProtocolError.truncated("bytes") }
        return s
    }

    /// (topic, partition, records) of a Produce request v0-v8 (request header v1).
    static func produceRecords(_ file: URL, version: Int) throws -> [(String, Int32, ByteBuffer)] {
        var r = try CapturedFrameReader(file: file)
        _ = try r.int16(); _ = try r.int16(); _ = try r.int32(); _ = try r.string()  // request header v1
        if version >= 3 { _ = try r.string() }  // transactional id
        _ = try r.int16(); _ = try r.int32()  // acks, timeout
        var out: [(String, Int32, ByteBuffer)] = []
        for _ in 0 ..< (try r.int32()) {
            let topic = try r.string() ?? ""
            for _ in 0 ..< (try r.int32()) {
                let partition = try r.int32()
                if let records = try r.bytes() { out.append((topic, partition, records)) }
            }
        }
        return out
    }

    /// (topic, partition, records) of a Fetch response v0-v11 (response header v0).
    static func fetchRecords(_ file: URL, version: Int) throws -> [(String, Int32, ByteBuffer)] {
        var r = try CapturedFrameReader(file: file)
        _ = try r.int32()  // correlation id
        if version >= 1 { _ = try r.int32() }  // throttle
        if version >= 7 { _ = try r.int16(); _ = try r.int32() }  // error, session id
        var out: [(String, Int32, ByteBuffer)] = []
        for _ in 0 ..< (try r.int32()) {
            let topic = try r.string() ?? ""
            for _ in 0 ..< (try r.int32()) {
                let partition = try r.int32()
                _ = try r.int16(); _ = try r.int64()  // error, high watermark
                if version >= 4 {
                    _ = try r.int64()  // last stable offset
                    if version >= 5 { _ = try r.int64() }  // log start offset
                    let aborted = try r.int32()
                    for _ in 0 ..< max(0, aborted) { _ = try r.int64(); _ = try r.int64() }
                }
                if version >= 11 { _ = try r.int32() }  // preferred read replica
                if let records = try r.bytes() { out.append((topic, partition, records)) }
            }
        }
        return out
    }

    /// Captured frames named `*-<api>-v<version>-<dir>.bin` in every client folder, with their version.
    static func frames(api: String, dir: String, versions: ClosedRange<Int>) -> [(URL, Int)] {
        let base = RecordTestData.shared.appendingPathComponent("kafka-captures/frames")
        var out: [(URL, Int)] = []
        for client in RecordTestData.files(in: base, matching: { !$0.hasSuffix(".json") }) {
            for file in RecordTestData.files(in: client, matching: { $0.contains("-\(api)-v") && $0.hasSuffix("-\(dir).bin") }) {
                let name = file.lastPathComponent
                guard let range = name.range(of: "-\(api)-v"),
                      let version = Int(name[range.upperBound...].prefix { $0.isNumber }),
                      versions.contains(version)
                else { continue }
                out.append((file, version))
            }
        }
        return out
    }
}

/// What checking one region of magic-2 batches found.
struct BatchCheckReport {
    var batches = 0
    var records = 0
    var reencodedIdentically = 0
    var byCodec: [CompressionCodec: Int] = [:]
    var controlTypes: [String: Int] = [:]
    var exceptions: [String] = []
    var knownDifferences: [String] = []
}

/// Every batch parses, has a valid CRC and exactly recordsCount records with offsets inside the batch; uncompressed
/// batches re-encode to the same bytes, compressed ones to the same decompressed records.
func checkBatches(_ region: ByteBuffer, label: String, allowTail: Bool, into report: inout BatchCheckReport) throws {
    var iterator = RecordBatchIterator(region)
    while let batch = try iterator.next() {
        let h = batch.header
        report.batches += 1
        report.byCodec[h.compression!, default: 0] += 1
        try batch.validateCRC()
        let records = try collectRecords(batch)
        #expect(records.count == Int(h.recordsCount), "\(label)@\(h.baseOffset)")
        report.records += records.count
        var previous: Int64 = -1
        for r in records {
            #expect(r.offset > previous && r.offset >= h.baseOffset && r.offset <= h.lastOffset, "\(label)@\(h.baseOffset)")
            previous = r.offset
            for header in r.headers { _ = header.key }
        }
        if let last = records.last { #expect(last.offset == h.lastOffset, "\(label)@\(h.baseOffset)") }
        if h.isControl {
            for r in records {
                let type = try ControlRecordType(key: r.key)
                report.controlTypes["\(type)", default: 0] += 1
                if type.isTransactionMarker {
                    #expect(h.isTransactional)
                    _ = try EndTransactionMarker(record: r)
                }
            }
        }
        let plain = try reencode(batch, compression: CompressionCodec.none)
        #expect(try RecordBatch(plain).recordsRegion == (try batch.decompressedRecords()), "\(label)@\(h.baseOffset)")
        if h.compression == CompressionCodec.none {
            var patched = batch
            let maxRecordTimestamp = records.map(\.timestamp).max() ?? -1
            if plain == batch.buffer {
                report.reencodedIdentically += 1
            } else if h.maxTimestamp == -1, h.timestampType == .createTime,
                      (try? patched.setMaxTimestamp(maxRecordTimestamp, timestampType: .createTime)) != nil,
                      patched.buffer == plain {
                // Some producers (sarama 1.22) leave maxTimestamp at -1; the leader fills it in on append, and
                // after that patch the bytes are what the builder writes.
                report.knownDifferences.append("\(label) batch@\(h.baseOffset): producer sent maxTimestamp -1; identical after setMaxTimestamp(\(maxRecordTimestamp))")
            } else {
                let a = plain.bytesArray, b = batch.buffer.bytesArray
                let differing = (0 ..< min(a.count, b.count)).filter { a[$0] != b[$0] && !(17 ..< 21).contains($0) }
                report.exceptions.append(
                    "\(label) batch@\(h.baseOffset): re-encoding differs at bytes \(differing.prefix(12)) (sizes \(a.count)/\(b.count)), original \(b[..<min(b.count, 100)].map { String($0, radix: 16) })")
            }
        } else {
            let again = try RecordBatch(try reencode(batch))
            #expect(try collectRecords(again) == records, "\(label)@\(h.baseOffset)")
        }
    }
    if !allowTail { #expect(iterator.incompleteTail == nil, "\(label): incomplete tail") }
}

@Suite struct RecordKafkaDataTests {
    static let segmentsRoot = RecordTestData.shared.appendingPathComponent("kafka-captures/log-segments")

    @Test func logSegmentsWrittenByKafka() throws {
        let partitions = RecordTestData.files(in: Self.segmentsRoot) { !$0.contains(".") || $0.contains("-") }
            .filter { (try? $0.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true }
        try #require(!partitions.isEmpty, "no log segments under \(Self.segmentsRoot.path)")
        var total = BatchCheckReport()
        var files = 0
        for partition in partitions {
            for file in RecordTestData.files(in: partition, matching: { $0.hasSuffix(".log") || $0.hasSuffix(".checkpoint") }) {
                files += 1
                var report = BatchCheckReport()
                let label = "\(partition.lastPathComponent)/\(file.lastPathComponent)"
                try checkBatches(try RecordTestData.read(file), label: label, allowTail: false, into: &report)
                #expect(report.batches > 0 || file.pathExtension == "checkpoint", "\(label) holds no batches")
                total.batches += report.batches
                total.records += report.records
                total.reencodedIdentically += report.reencodedIdentically
                total.byCodec.merge(report.byCodec, uniquingKeysWith: +)
                total.controlTypes.merge(report.controlTypes, uniquingKeysWith: +)
                total.exceptions += report.exceptions
                total.knownDifferences += report.knownDifferences
            }
        }
        print("log segments: \(files) files, \(total.batches) batches, \(total.records) records, codecs \(total.byCodec), control \(total.controlTypes), \(total.reencodedIdentically) uncompressed batches re-encoded identically")
        for e in total.exceptions { print("  exception: \(e)") }
        for e in total.knownDifferences { print("  known: \(e)") }
        #expect(total.exceptions.isEmpty)
        for codec in CompressionCodec.allCases { #expect(total.byCodec[codec, default: 0] > 0, "no \(codec) batch in the segments") }
        #expect(total.controlTypes["COMMIT", default: 0] > 0 && total.controlTypes["ABORT", default: 0] > 0)
    }

    @Test func producerBatchesInCapturedProduceRequests() throws {
        let frames = CapturedFrameReader.frames(api: "Produce", dir: "req", versions: 3 ... 8)
        try #require(!frames.isEmpty)
        var report = BatchCheckReport()
        for (file, version) in frames {
            for (topic, partition, records) in try CapturedFrameReader.produceRecords(file, version: version) {
                #expect(RecordBatchIterator.detectMagic(records) == 2)
                try checkBatches(records, label: "\(file.lastPathComponent) \(topic)-\(partition)", allowTail: false, into: &report)
            }
        }
        print("produce v3-8: \(frames.count) frames, \(report.batches) batches, \(report.records) records, codecs \(report.byCodec), \(report.reencodedIdentically) re-encoded identically")
        for e in report.exceptions { print("  exception: \(e)") }
        for e in report.knownDifferences { print("  known: \(e)") }
        #expect(report.exceptions.isEmpty)
        #expect(report.batches > 0)
    }

    @Test func batchesInCapturedFetchResponses() throws {
        let frames = CapturedFrameReader.frames(api: "Fetch", dir: "resp", versions: 4 ... 11)
        try #require(!frames.isEmpty)
        var report = BatchCheckReport()
        for (file, version) in frames {
            for (topic, partition, records) in try CapturedFrameReader.fetchRecords(file, version: version) where records.readableBytes > 0 {
                try checkBatches(records, label: "\(file.lastPathComponent) \(topic)-\(partition)", allowTail: true, into: &report)
            }
        }
        print("fetch v4-11: \(frames.count) frames, \(report.batches) batches, \(report.records) records, codecs \(report.byCodec), \(report.reencodedIdentically) re-encoded identically")
        for e in report.exceptions { print("  exception: \(e)") }
        #expect(report.exceptions.isEmpty)
        #expect(report.batches > 0)
    }
}
