import KafkaProtocol
import NIOCore
import Testing
@testable import KafkaServer

/// File regions are laid out where the placeholder carrying their index is, whatever order the placeholders are in,
/// while the response is encoded; a response whose placeholders and slices do not pair up is refused.
struct ResponseLayoutTests {
    /// A Fetch response whose partitions hold `records` in that order (one partition each): an Int is the
    /// placeholder of that slice, a ByteBuffer inline records.
    static func response(_ records: [Either]) -> FetchResponse {
        var topic = FetchResponse.FetchableTopicResponse()
        topic.topic = "t"
        topic.partitions = records.enumerated().map { i, r in
            var pd = FetchResponse.PartitionData()
            pd.partitionIndex = Int32(i)
            switch r {
            case .slice(let p): pd.records = FileSlice.placeholder(p)
            case .inline(let b): pd.records = b
            }
            return pd
        }
        var response = FetchResponse()
        response.responses = [topic]
        return response
    }

    enum Either { case slice(Int), inline(ByteBuffer) }

    /// Encodes with regions laid out in place and returns the wire parts.
    static func parts(_ records: [Either], lengths: [Int], version: Int16) throws -> [ResponseLayout.Part] {
        let slices = Self.slices(lengths)
        var regions = ResponseLayout.regions(for: slices)
        var frame = ByteBuffer()
        try KafkaFrame.encodeResponse(Self.response(records), apiKey: .fetch, version: version, correlationId: 7,
                                      into: &frame, regions: &regions)
        return try ResponseLayout.parts(of: frame, regions: regions, slices: slices)
    }

    /// Slice `k` is `lengths[k]` bytes of value `k + 1`, so the reassembled frame shows which slice went where.
    static func slices(_ lengths: [Int]) -> [FileSlice] {
        lengths.enumerated().map { FileSlice(descriptor: -1, position: Int64($0.offset), length: $0.element) }
    }

    /// The frame the parts put on the wire, with each file region's bytes standing in as `position + 1` repeated.
    static func wire(_ parts: [ResponseLayout.Part]) -> ByteBuffer {
        var out = ByteBuffer()
        for part in parts {
            switch part {
            case .bytes(let b): out.writeImmutableBuffer(b)
            case .file(let s): out.writeRepeatingByte(UInt8(s.position + 1), count: s.length)
            }
        }
        return out
    }

    static func decodedRecords(_ parts: [ResponseLayout.Part], version: Int16) throws -> [ByteBuffer?] {
        var wire = Self.wire(parts)
        let size = wire.readInteger(as: Int32.self)
        #expect(size.map(Int.init) == wire.readableBytes)
        let decoded = try ResponseFrame(parsing: wire, apiKey: .fetch, version: version)
        let response = try #require(decoded.body as? FetchResponse)
        return response.responses.flatMap(\.partitions).map(\.records)
    }

    @Test(arguments: [Int16(4), 11, 12, 16])
    func regionsGoWhereTheirIndexIs(version: Int16) throws {
        let order = [2, 0, 3, 1]
        let lengths = [100, 7, 300, 61]
        let parts = try Self.parts(order.map { .slice($0) }, lengths: lengths, version: version)
        let records = try Self.decodedRecords(parts, version: version)
        #expect(records == order.map { Optional(ByteBuffer(repeating: UInt8($0 + 1), count: lengths[$0])) })
    }

    /// Inline records (down-converted ones, or a real 16-byte value that is no placeholder) stay as they are beside
    /// the regions; a region of more than 127 bytes takes a multi-byte compact length.
    @Test(arguments: [Int16(11), 12])
    func inlineRecordsAndRegionsMix(version: Int16) throws {
        let sixteen = ByteBuffer(repeating: 0x42, count: 16)
        let parts = try Self.parts([.inline(sixteen), .slice(0), .inline(ByteBuffer()), .slice(1)],
                                   lengths: [5000, 3], version: version)
        let records = try Self.decodedRecords(parts, version: version)
        #expect(records == [sixteen, ByteBuffer(repeating: 1, count: 5000), ByteBuffer(), ByteBuffer(repeating: 2, count: 3)])
    }

    @Test func aSliceWithoutItsPlaceholderIsRefused() throws {
        #expect(throws: ResponseLayout.Mismatch.self) {
            _ = try Self.parts([.slice(1), .slice(0)], lengths: [5, 6, 7], version: 12)
        }
        do {
            _ = try Self.parts([.slice(0), .slice(2)], lengths: [5, 6, 7], version: 11)
            Issue.record("a frame without placeholder 1 was laid out")
        } catch let e as ResponseLayout.Mismatch {
            #expect(e.unplaced == [1] && e.strays.isEmpty)
        }
    }

    @Test func aRepeatedOrUnknownPlaceholderIsRefused() throws {
        do {
            _ = try Self.parts([.slice(0), .slice(0), .slice(5), .slice(1)], lengths: [5, 6], version: 12)
            Issue.record("a frame with stray placeholders was laid out")
        } catch let e as ResponseLayout.Mismatch {
            #expect(e.strays == [0, 5] && e.unplaced.isEmpty)
        }
    }

    /// Encoding without regions writes a placeholder as its bytes (what a client would wrongly get as records):
    /// only the regions' encode lays them out.
    @Test func withoutRegionsAPlaceholderIsPlainBytes() throws {
        var plain = ByteBuffer()
        try Self.response([.slice(0)]).encode(into: &plain, version: 12)
        var regioned = ByteBuffer()
        var regions = RecordsRegions(lengths: [9])
        try Self.response([.slice(0)]).encode(into: &regioned, version: 12, regions: &regions)
        #expect(plain.readableBytes == regioned.readableBytes + 16)
        #expect(regions.marks.map(\.region) == [0])
        // Three empty tagged-field sections follow: the partition's, the topic's and the response's.
        #expect(regions.marks.first?.offset == regioned.writerIndex - 3)
        #expect(regions.addedBytes == 9)
    }
}
