import NIOCore
import Testing
@testable import KafkaProtocol

/// Every record batch carried by a captured frame (found through the generated decoders, in any API) decodes with a
/// valid CRC and its records re-encode to the same bytes; legacy message sets decode with valid CRCs.
@Suite struct GoldenFrameRecordsTests {
    /// The `records` fields of a decoded value, found by walking its fields.
    static func recordsFields(_ value: any KafkaStruct, version: Int16) -> [ByteBuffer] {
        var found: [ByteBuffer] = []
        let children = Array(Mirror(reflecting: value).children)
        for (i, field) in type(of: value).fieldInfo.enumerated() where field.versions.contains(version) {
            collect(children[i].value, isRecords: field.type == "records", version: version, into: &found)
        }
        return found
    }

    static func collect(_ any: Any, isRecords: Bool, version: Int16, into found: inout [ByteBuffer]) {
        let m = Mirror(reflecting: any)
        if m.displayStyle == .optional {
            if let inner = m.children.first?.value { collect(inner, isRecords: isRecords, version: version, into: &found) }
            return
        }
        switch any {
        case let s as any KafkaStruct: found += recordsFields(s, version: version)
        case let b as ByteBuffer where isRecords: found.append(b)
        case let a as [Any]: for e in a { collect(e, isRecords: isRecords, version: version, into: &found) }
        default: break
        }
    }

    @Test func recordsInEveryCapturedFrame() throws {
        var report = BatchCheckReport()
        var legacyMessages = 0
        var regions = 0
        for frame in SharedData.frames {
            var bytes = try SharedData.read(frame.path)
            bytes.moveReaderIndex(forwardBy: 4)
            let api = try #require(ApiKey(rawValue: frame.api_key))
            let message: any KafkaStruct
            if frame.dir == "req" {
                message = try RequestFrame(parsing: bytes).decodeBody().message
            } else {
                message = try ResponseFrame(parsing: bytes, apiKey: api, version: frame.api_version).body
            }
            for region in Self.recordsFields(message, version: frame.api_version) where region.readableBytes > 0 {
                regions += 1
                // Fetch responses may end with a batch cut short (the broker sends a byte range of the log).
                let allowTail = frame.dir == "resp"
                if let magic = RecordBatchIterator.detectMagic(region), magic < 2 {
                    var it = LegacyDeepIterator(region, validateCRC: true)
                    while try it.next() != nil { legacyMessages += 1 }
                    if !allowTail { #expect(it.incompleteTail == nil, "\(frame)") }
                } else {
                    try checkBatches(region, label: "\(frame)", allowTail: allowTail, into: &report)
                }
            }
        }
        #expect(report.exceptions.isEmpty, "\(report.exceptions)")
        #expect(regions > 100)
        #expect(report.batches > 100)
        #expect(legacyMessages > 10)
        print("captured frames: \(regions) records regions, \(report.batches) batches, \(report.records) records, \(report.reencodedIdentically) uncompressed batches re-encoded identically, \(report.knownDifferences.count) known producer differences, \(legacyMessages) legacy messages")
    }
}
