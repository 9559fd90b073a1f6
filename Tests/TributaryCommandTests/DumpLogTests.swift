import Foundation
import KafkaProtocol
import NIOCore
import Testing
@testable import tributary

/// `tributary dump-log` on the segments Kafka 3.7.1 wrote, and on damaged copies of them.
@Suite struct DumpLogTests {
    static let segments: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.deletingLastPathComponent().appendingPathComponent("shared/kafka-captures/log-segments").path
    }()

    static func files(_ suffix: String) -> [String] {
        let fm = FileManager.default
        let dirs = ((try? fm.contentsOfDirectory(atPath: segments)) ?? []).sorted()
        return dirs.flatMap { dir in
            ((try? fm.contentsOfDirectory(atPath: "\(segments)/\(dir)")) ?? []).sorted()
                .filter { $0.hasSuffix(suffix) }.map { "\(segments)/\(dir)/\($0)" }
        }
    }

    static let logs = files(".log")
    static let indexes = files(".index") + files(".timeindex")

    static func dump(_ files: [String], _ configure: (inout DumpLogOptions) -> Void = { _ in }) -> (out: [String], err: [String], ok: Bool) {
        var options = DumpLogOptions()
        configure(&options)
        return DumpLog.lines(files, options: options)
    }

    static func batchLines(_ lines: [String]) -> [String] { lines.filter { $0.hasPrefix("baseOffset: ") } }

    /// The value after `name: ` in a dump line.
    static func field(_ line: String, _ name: String) -> String? {
        guard let range = line.range(of: " \(name): ") ?? (line.hasPrefix("\(name): ") ? line.range(of: "\(name): ") : nil) else { return nil }
        return String(line[range.upperBound...].prefix { $0 != " " })
    }

    /// A temporary copy of a segment, changed by `edit`, in a directory of its own.
    static func damagedCopy(of path: String, _ edit: (inout [UInt8]) -> Void) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dumplog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        edit(&bytes)
        let copy = dir.appendingPathComponent((path as NSString).lastPathComponent)
        try Data(bytes).write(to: copy)
        return copy.path
    }

    static func remove(_ copy: String) {
        try? FileManager.default.removeItem(atPath: (copy as NSString).deletingLastPathComponent)
    }

    @Test func capturesFound() {
        #expect(Self.logs.count >= 12)
        #expect(Self.indexes.count >= 24)
    }

    @Test(arguments: logs)
    func everyBatchIsValid(_ path: String) throws {
        let (out, err, ok) = Self.dump([path])
        #expect(ok && err.isEmpty)
        #expect(out.prefix(2) == ["Dumping \(path)", "Log starting offset: 0"])
        let batches = Self.batchLines(out)
        let expected = try RecordBatchIterator.split(readFile(path))
        #expect(batches.count == expected.batches.count)
        #expect(expected.incompleteTail == nil)
        #expect(batches.allSatisfy { $0.hasSuffix("isvalid: true") && $0.contains(" magic: 2 ") })
        #expect(Self.field(batches.last ?? "", "lastOffset") == "\(expected.batches.last?.header.lastOffset ?? -2)")
        #expect(!out.contains { $0.contains("invalid bytes") })
    }

    @Test(arguments: logs)
    func printDataLogShowsEveryRecord(_ path: String) throws {
        let (out, err, _) = Self.dump([path]) { $0.printDataLog = true }
        #expect(err.isEmpty, "non-consecutive offsets or other problems: \(err.prefix(3))")
        // Each batch line is followed by exactly `count` record lines.
        var expected: Int?
        var seen = 0
        for line in out.dropFirst(2) + ["baseOffset: end count: 0"] {
            if line.hasPrefix("baseOffset: ") {
                if let expected { #expect(seen == expected, "\(line)") }
                expected = Int(Self.field(line, "count") ?? "")
                seen = 0
            } else {
                #expect(line.hasPrefix("| offset: "), "\(line)")
                seen += 1
            }
        }
        #expect(!out.contains { $0.contains("cannot read") || $0.contains("payload: Error") })
    }

    @Test func clusterMetadataRecordsAreDecoded() throws {
        let path = try #require(Self.logs.first { $0.contains("__cluster_metadata-0") })
        let out = Self.dump([path]) { $0.printDataLog = true }.out
        #expect(out.contains { $0.contains(#"payload: {"type":"REGISTER_BROKER_RECORD","version":"#) })
        #expect(out.contains { $0.contains(#"payload: {"type":"TOPIC_RECORD","version":0,"data":{"name":"#) })
        #expect(out.contains { $0.contains("controlType: LEADER_CHANGE(2)") })
    }

    @Test func transactionMarkersAreShown() throws {
        let path = try #require(Self.logs.first { $0.contains("acc-txa-") })
        let out = Self.dump([path]) { $0.deepIteration = true }.out
        #expect(out.contains { $0.hasSuffix("endTxnMarker: COMMIT coordinatorEpoch: 0") })
        #expect(out.contains { $0.hasSuffix("endTxnMarker: ABORT coordinatorEpoch: 0") })
        // Deep iteration without --print-data-log shows no keys or values.
        #expect(!out.contains { $0.contains(" payload: ") })
        let txn = Self.dump([Self.files(".txnindex")[0]]).out
        #expect(txn.last == "version: 0 producerId: 1 firstOffset: 5 lastOffset: 9 lastStableOffset: 10")
    }

    @Test func smallWindowsGiveTheSameOutput() throws {
        for path in Self.logs {
            let whole = Self.dump([path]) { $0.printDataLog = true }
            let windowed = Self.dump([path]) { $0.printDataLog = true; $0.windowSize = 100 }
            #expect(whole.out == windowed.out, "\(path)")
        }
    }

    @Test(arguments: indexes)
    func indexesMatchTheirLogs(_ path: String) throws {
        let (out, err, ok) = Self.dump([path]) { $0.verifyIndexOnly = true }
        #expect(ok)
        #expect(err.isEmpty, "\(err)")
        #expect(out.count <= 2)
        let entrySize = path.hasSuffix(".timeindex") ? 12 : 8
        let full = Self.dump([path]).out.dropFirst().filter { !$0.hasSuffix("is empty.") }
        #expect(full.count == (try readFile(path)).readableBytes / entrySize)
        let sanity = Self.dump([path]) { $0.indexSanityCheck = true }.out.last ?? ""
        #expect(sanity.hasSuffix("passed sanity check.") || sanity.hasSuffix("is empty."), "\(sanity)")
    }

    @Test func aWrongIndexEntryIsAMismatch() throws {
        let log = try #require(Self.logs.first { $0.contains("__consumer_offsets") })
        let copy = try Self.damagedCopy(of: log) { _ in }
        defer { Self.remove(copy) }
        var index = ByteBuffer()
        index.writeInteger(Int32(20)); index.writeInteger(Int32(4192)) // right
        index.writeInteger(Int32(46)); index.writeInteger(Int32(0)) // wrong position
        try Data(index.readableBytesView).write(to: URL(fileURLWithPath: DumpLog.sibling(copy, suffix: ".index")))
        let (out, err, _) = Self.dump([DumpLog.sibling(copy, suffix: ".index")])
        #expect(out.dropFirst() == ["offset: 20 position: 4192", "offset: 46 position: 0"])
        #expect(err.first == "Mismatches in :\(DumpLog.sibling(copy, suffix: ".index"))")
        #expect(err.dropFirst().first?.hasPrefix("  Index offset: 46, log offset: ") == true)
    }

    @Test func aCorruptBatchIsInvalidAndTheRestStillPrint() throws {
        // capold-010 holds batches of four codecs; the second is compressed, so its records cannot be read either.
        let path = try #require(Self.logs.first { $0.contains("capold-010") })
        let original = Self.batchLines(Self.dump([path]).out)
        try #require(original.count >= 3)
        // Flip a byte inside the records region of the second batch.
        let second = Int(Self.field(original[1], "position")!)!
        let copy = try Self.damagedCopy(of: path) { $0[second + 70] ^= 0xFF }
        defer { Self.remove(copy) }
        let (out, _, ok) = Self.dump([copy]) { $0.printDataLog = true }
        #expect(ok)
        let damaged = Self.batchLines(out)
        #expect(damaged.count == original.count)
        for (i, line) in damaged.enumerated() {
            #expect(line.hasSuffix(i == 1 ? "isvalid: false" : "isvalid: true"), "\(i): \(line)")
        }
    }

    @Test func aTruncatedTailIsReported() throws {
        let path = try #require(Self.logs.first { $0.contains("acc-idem") })
        let batches = Self.batchLines(Self.dump([path]).out)
        let lastSize = Int(Self.field(batches.last!, "size")!)!
        let copy = try Self.damagedCopy(of: path) { $0.removeLast(10) }
        defer { Self.remove(copy) }
        let (out, _, ok) = Self.dump([copy])
        #expect(ok)
        #expect(Self.batchLines(out).count == batches.count - 1)
        #expect(out.last == "Found \(lastSize - 10) invalid bytes at the end of 00000000000000000000.log")
        // With --max-bytes the cut is expected and not reported, as in Kafka.
        let limited = Self.dump([path]) { $0.maxBytes = lastSize + 1 }.out
        #expect(Self.batchLines(limited).count <= 1)
        #expect(!limited.contains { $0.contains("invalid bytes") })
    }

    @Test func garbageIsReportedAsCorrupt() throws {
        let path = try #require(Self.logs.first { $0.contains("acc-idem") })
        let copy = try Self.damagedCopy(of: path) { $0 += [UInt8](repeating: 0, count: 40) }
        defer { Self.remove(copy) }
        let out = Self.dump([copy]).out
        #expect(out.contains { $0.hasPrefix("Found a corrupt entry at position ") })
        #expect(out.last == "Found 40 invalid bytes at the end of 00000000000000000000.log")
    }

    @Test func legacyMessageSets() throws {
        var plain = try LegacyMessageSetBuilder(magic: 0)
        try plain.append(key: ByteBuffer(string: "k"), value: ByteBuffer(string: "v0"))
        var wrapped = try LegacyMessageSetBuilder(magic: 1, compression: .gzip)
        for i in 1...3 { try wrapped.append(offset: Int64(i), timestamp: 1000 + Int64(i), key: nil, value: ByteBuffer(string: "v\(i)")) }
        var bytes = try plain.build()
        var wrapper = try wrapped.build()
        bytes.writeBuffer(&wrapper)
        let path = try Self.damagedCopy(of: Self.logs[0]) { $0 = Array(bytes.readableBytesView) }
        defer { Self.remove(path) }
        let out = Self.dump([path]) { $0.printDataLog = true }.out
        #expect(out.count == 2 + 2 + 4)
        #expect(out[2].hasPrefix("offset: 0 position: 0 NoTimestampType: -1 size: "))
        #expect(out[2].contains(" magic: 0 compresscodec: none crc: ") && out[2].hasSuffix(" isvalid: true"))
        #expect(out[3].hasPrefix("| offset: 0 NoTimestampType: -1 keySize: 1 valueSize: 2 isValid: true crc: "))
        #expect(out[3].hasSuffix(" key: k payload: v0"))
        #expect(out[4].contains("offset: 3 position: ") && out[4].contains(" CreateTime: 1003 ") && out[4].contains("compresscodec: gzip"))
        #expect(out[5...].map { $0.split(separator: " ")[2] } == ["1", "2", "3"])
        #expect(out[7].hasSuffix(" payload: v3"))
    }

    @Test func jsonIsOneDocumentPerFile() throws {
        let files = Self.logs.prefix(3) + Self.files(".txnindex")
        let out = Self.dump(Array(files)) { $0.json = true }.out
        #expect(out.count == files.count)
        for (line, path) in zip(out, files) {
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(doc["file"] as? String == path)
            if path.hasSuffix(".log") {
                let batches = try #require(doc["batches"] as? [[String: Any]])
                #expect(batches.count == (try RecordBatchIterator.split(readFile(path))).batches.count)
                #expect(batches.allSatisfy { $0["crcValid"] as? Bool == true && $0["position"] != nil })
            }
        }
    }

    @Test func producerSnapshots() throws {
        let path = try #require(Self.files(".snapshot").first { $0.contains("acc-idem") })
        #expect(Self.dump([path]).out.last == "producerId: 0 producerEpoch: 0 coordinatorEpoch: -1 "
            + "currentTxnFirstOffset: OptionalLong.empty lastTimestamp: 1795486447414 firstSequence: 0 "
            + "lastSequence: 129 lastOffset: 129 offsetDelta: 129 timestamp: 1795486447414")
        let damaged = try Self.damagedCopy(of: path) { $0[$0.count - 1] ^= 1 }
        defer { Self.remove(damaged) }
        #expect(Self.dump([damaged]).err.first?.hasPrefix("Snapshot is corrupt (CRC is no longer valid).") == true)
    }

    @Test func unreadableAndUnknownFiles() {
        let (out, err, ok) = Self.dump(["/nonexistent/00000000000000000000.log", "\(Self.segments)/meta.properties"])
        #expect(!ok)
        #expect(out == ["Dumping /nonexistent/00000000000000000000.log", "Dumping \(Self.segments)/meta.properties"])
        #expect(err.contains { $0.contains("/nonexistent/00000000000000000000.log") && $0.contains("No such file") })
        #expect(err.contains("Ignoring unknown file \(Self.segments)/meta.properties"))
    }
}
