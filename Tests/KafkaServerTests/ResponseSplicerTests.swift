import KafkaProtocol
import NIOCore
import Testing
@testable import KafkaServer

/// The splicer puts each file region where the placeholder carrying its index is, whatever order the placeholders
/// are in, and refuses a frame whose placeholders and slices do not pair up.
struct ResponseSplicerTests {
    /// A Fetch response whose partitions hold `placeholders` in that order (one partition each).
    static func frame(_ placeholders: [Int], version: Int16) throws -> ByteBuffer {
        var topic = FetchResponse.FetchableTopicResponse()
        topic.topic = "t"
        topic.partitions = placeholders.enumerated().map { i, p in
            var pd = FetchResponse.PartitionData()
            pd.partitionIndex = Int32(i)
            pd.records = FileSlice.placeholder(p)
            return pd
        }
        var response = FetchResponse()
        response.responses = [topic]
        var frame = ByteBuffer()
        try KafkaFrame.encodeResponse(response, apiKey: .fetch, version: version, correlationId: 7, into: &frame)
        return frame
    }

    /// Slice `k` is `lengths[k]` bytes of value `k + 1`, so the reassembled frame shows which slice went where.
    static func slices(_ lengths: [Int]) -> [FileSlice] {
        lengths.enumerated().map { FileSlice(descriptor: -1, position: Int64($0.offset), length: $0.element) }
    }

    /// The frame the parts put on the wire, with each file region's bytes standing in as `position + 1` repeated.
    static func wire(_ parts: [ResponseSplicer.Part]) -> ByteBuffer {
        var out = ByteBuffer()
        for part in parts {
            switch part {
            case .bytes(let b): out.writeImmutableBuffer(b)
            case .file(let s): out.writeRepeatingByte(UInt8(s.position + 1), count: s.length)
            }
        }
        return out
    }

    @Test(arguments: [Int16(4), 11, 12, 16])
    func regionsGoWhereTheirIndexIs(version: Int16) throws {
        let order = [2, 0, 3, 1]
        let lengths = [100, 7, 300, 61]
        let parts = try ResponseSplicer.splice(try Self.frame(order, version: version), slices: Self.slices(lengths),
                                               compact: ApiKey.fetch.isFlexible(version))
        var wire = Self.wire(parts)
        let size = wire.readInteger(as: Int32.self)
        #expect(size.map(Int.init) == wire.readableBytes)
        let decoded = try ResponseFrame(parsing: wire, apiKey: .fetch, version: version)
        let response = try #require(decoded.body as? FetchResponse)
        let records = response.responses.flatMap(\.partitions).map(\.records)
        #expect(records == order.map { Optional(ByteBuffer(repeating: UInt8($0 + 1), count: lengths[$0])) })
    }

    @Test func aSliceWithoutItsPlaceholderIsRefused() throws {
        #expect(throws: ResponseSplicer.Mismatch.self) {
            _ = try ResponseSplicer.splice(try Self.frame([1, 0], version: 12), slices: Self.slices([5, 6, 7]), compact: true)
        }
        do {
            _ = try ResponseSplicer.splice(try Self.frame([0, 2], version: 11), slices: Self.slices([5, 6, 7]), compact: false)
            Issue.record("a frame without placeholder 1 was spliced")
        } catch let e as ResponseSplicer.Mismatch {
            #expect(e.unplaced == [1] && e.strays.isEmpty)
        }
    }

    @Test func aRepeatedOrUnknownPlaceholderIsRefused() throws {
        do {
            _ = try ResponseSplicer.splice(try Self.frame([0, 0, 5, 1], version: 12), slices: Self.slices([5, 6]), compact: true)
            Issue.record("a frame with stray placeholders was spliced")
        } catch let e as ResponseSplicer.Mismatch {
            #expect(e.strays == [0, 5] && e.unplaced.isEmpty)
        }
    }
}
