import KafkaProtocol
import NIOCore
import Testing
@testable import KafkaServer

/// `RecordScan` (the produce validator's slice-free record walk) accepts and rejects exactly what `RecordIterator`
/// does, and reports the same offset deltas, timestamp deltas and key presence.
@Suite struct ProduceValidatorScanTests {
    struct Seen: Equatable {
        var offsetDelta: Int32
        var timestampDelta: Int64
        var hasKey: Bool
    }

    static func viaIterator(_ region: ByteBuffer, count: Int) -> [Seen]? {
        guard var it = try? RecordIterator(records: region, count: Int32(count), baseOffset: 0, baseTimestamp: 0) else { return nil }
        var out: [Seen] = []
        do {
            while let r = try it.next() { out.append(Seen(offsetDelta: r.offsetDelta, timestampDelta: r.timestampDelta, hasKey: r.key != nil)) }
        } catch { return nil }
        return out
    }

    static func viaScan(_ region: ByteBuffer, count: Int) -> [Seen]? {
        var out: [Seen] = []
        do {
            let stopped = try RecordScan.scan(region, count: count) { o, t, k in
                out.append(Seen(offsetDelta: o, timestampDelta: t, hasKey: k))
                return nil
            }
            #expect(stopped == nil)
        } catch { return nil }
        return out
    }

    /// The records region of a batch built from `records` (timestamp, key, value, header count).
    static func region(_ records: [(Int64, String?, String?, Int)]) throws -> (ByteBuffer, Int) {
        var builder = RecordBatchBuilder(baseTimestamp: 1_000)
        for (ts, key, value, headers) in records {
            let hs = (0 ..< headers).map { RecordHeader(key: "h\($0)", value: $0 % 2 == 0 ? ByteBuffer(string: "v") : nil) }
            try builder.append(timestamp: ts, key: key.map { ByteBuffer(string: $0) }, value: value.map { ByteBuffer(string: $0) }, headers: hs)
        }
        let batch = try RecordBatch(try builder.build())
        return (try batch.decompressedRecords(), records.count)
    }

    @Test func agreesOnValidAndDamagedRegions() throws {
        let (valid, count) = try Self.region([
            (1_000, "k", "value", 0), (1_005, nil, "v2", 2), (900, "", nil, 1), (1 << 40, "key", String(repeating: "x", count: 300), 3),
        ])
        #expect(Self.viaScan(valid, count: count) == Self.viaIterator(valid, count: count))
        #expect(Self.viaScan(valid, count: count)?.count == count)
        // Wrong counts, every truncation, every single-byte change (a few values) and trailing garbage.
        for c in [0, 1, count - 1, count + 1] {
            #expect(Self.viaScan(valid, count: c) == Self.viaIterator(valid, count: c))
        }
        for n in 0 ..< valid.readableBytes {
            let cut = valid.getSlice(at: valid.readerIndex, length: n)!
            #expect(Self.viaScan(cut, count: count) == Self.viaIterator(cut, count: count))
        }
        for i in 0 ..< valid.readableBytes {
            for byte: UInt8 in [0x00, 0x01, 0x7F, 0x80, 0xFF, 0x81] {
                var damaged = valid
                damaged.setInteger(byte, at: valid.readerIndex + i)
                #expect(Self.viaScan(damaged, count: count) == Self.viaIterator(damaged, count: count), "byte \(i) = \(byte)")
            }
        }
        var longer = valid
        longer.writeInteger(UInt8(0))
        #expect(Self.viaScan(longer, count: count) == nil)
        #expect(Self.viaIterator(longer, count: count) == nil)
    }

    @Test func stopsAtTheVisitorsError() throws {
        let (valid, count) = try Self.region([(1_000, "k", "v", 0), (1_001, nil, "v", 0), (1_002, "k", "v", 0)])
        var visited = 0
        let stopped = try RecordScan.scan(valid, count: count) { _, _, hasKey in
            visited += 1
            return hasKey ? nil : .invalidRecord
        }
        #expect(stopped == .invalidRecord)
        #expect(visited == 2)
    }
}
