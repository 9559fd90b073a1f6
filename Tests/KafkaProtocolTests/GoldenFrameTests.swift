import NIOCore
import Testing
@testable import KafkaProtocol

/// Every frame recorded between real clients and Apache Kafka 3.7.1 decodes with the API and version its index
/// names and re-encodes to the same bytes.
@Suite struct GoldenFrameTests {
    @Test func capturesArePresent() {
        #expect(SharedData.frames.count > 1300, "expected ~1,400 frames under ../shared/kafka-captures/frames")
    }

    @Test(arguments: SharedData.frames)
    func frameRoundTrips(_ frame: SharedData.CapturedFrame) throws {
        try Self.roundTrip(frame)
    }

    /// Decodes a frame as its index describes it, re-encodes it and compares the bytes.
    static func roundTrip(_ frame: SharedData.CapturedFrame) throws {
        var bytes = try SharedData.read(frame.path)
        let original = bytes
        let sizePrefix: Int32? = bytes.readInteger()
        let size = try #require(sizePrefix)
        #expect(Int(size) == bytes.readableBytes)
        let api = try #require(ApiKey(rawValue: frame.api_key))
        var reencoded = ByteBuffer()
        if frame.dir == "req" {
            let parsed = try RequestFrame(parsing: bytes)
            #expect(parsed.apiVersion == frame.api_version)
            #expect(parsed.header.correlationId == frame.correlation_id)
            var (body, trailing) = try parsed.decodeBody()
            try KafkaFrame.writeSized(into: &reencoded) { b in
                try parsed.header.encode(into: &b, version: api.requestHeaderVersion(frame.api_version))
                try body.encode(into: &b, version: frame.api_version)
                b.writeBuffer(&trailing)
            }
        } else {
            let parsed = try ResponseFrame(parsing: bytes, apiKey: api, version: frame.api_version)
            #expect(parsed.header.correlationId == frame.correlation_id)
            #expect(parsed.trailing.readableBytes == 0, "trailing bytes after the response body")
            try KafkaFrame.encodeResponse(parsed.body, apiKey: api, version: parsed.bodyVersion,
                                          correlationId: parsed.header.correlationId, into: &reencoded)
        }
        #expect(reencoded == original, "re-encoded bytes differ")
    }
}
