import NIOCore
import Testing
@testable import KafkaProtocol

/// For every schema and every version: random values encode, decode to an equal value, and re-encode to the same
/// bytes; the all-defaults value does the same.
@Suite struct RoundTripPropertyTests {
    static let casesPerVersion = 25

    static let schemaNames: [String] = allSchemaTypes.map { $0.schemaName }

    @Test func everySchemaIsCovered() {
        #expect(allSchemaTypes.count > 250)
        #expect(Set(ApiKey.allCases.map { $0.requestType.schemaName }).isSubset(of: Set(Self.schemaNames)))
    }

    @Test(arguments: allSchemaTypes.indices)
    func roundTrip(_ index: Int) throws {
        let type = allSchemaTypes[index]
        try Self.check(type)
    }

    static func check<T: KafkaSchema>(_ type: T.Type) throws {
        guard let arbitrary = type as? any ArbitraryKafkaStruct.Type else {
            Issue.record("\(T.schemaName) has no generator")
            return
        }
        for version in T.validVersions {
            try roundTrip(T(), version: version, seed: nil)
            for i in 0..<casesPerVersion {
                let seed = UInt64(bitPattern: Int64(T.schemaName.hashValue & 0xFFFF)) &* 1000 &+ UInt64(version) &* 100 &+ UInt64(i)
                var g = ArbitraryGenerator(seed: seed)
                let value = arbitrary.arbitrary(version: version, using: &g) as! T
                try roundTrip(value, version: version, seed: seed)
            }
        }
    }

    static func roundTrip<T: KafkaSchema>(_ value: T, version: Int16, seed: UInt64?) throws {
        var first = ByteBuffer()
        try value.encode(into: &first, version: version)
        var reader = first
        let decoded = try T(from: &reader, version: version)
        #expect(reader.readableBytes == 0, "\(T.schemaName) v\(version) seed \(String(describing: seed)): bytes left after decoding")
        #expect(decoded == value, "\(T.schemaName) v\(version) seed \(String(describing: seed)): value changed")
        var second = ByteBuffer()
        try decoded.encode(into: &second, version: version)
        #expect(first == second, "\(T.schemaName) v\(version) seed \(String(describing: seed)): bytes changed")
    }

    /// A field that a version cannot carry must not be silently dropped unless the schema says it may be.
    @Test func nonIgnorableFieldRefusedInOldVersion() throws {
        var r = MetadataRequest()
        r.allowAutoTopicCreation = false  // not ignorable, absent before v4
        var b = ByteBuffer()
        #expect(throws: ProtocolError.self) { try r.encode(into: &b, version: 3) }
        var ok = ApiVersionsResponse()
        ok.throttleTimeMs = 5  // ignorable, absent in v0
        try ok.encode(into: &b, version: 0)
    }

    /// Schema defaults apply to fields absent from the version read.
    @Test func defaultsApplyToAbsentFields() throws {
        var b = ByteBuffer()
        try MetadataRequest().encode(into: &b, version: 1)
        let decoded = try MetadataRequest(from: &b, version: 1)
        #expect(decoded.allowAutoTopicCreation == true)
    }
}
