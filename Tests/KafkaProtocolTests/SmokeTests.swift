import Testing
@testable import KafkaProtocol

@Test func codecRawValues() { #expect(CompressionCodec(rawValue: 4) == .zstd) }
