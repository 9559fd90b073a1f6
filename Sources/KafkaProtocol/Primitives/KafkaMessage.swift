import NIOCore

/// A tagged field that this version of Tributary does not know; kept so it can be written back unchanged.
public struct TaggedField: Hashable, Sendable {
    public var tag: UInt32
    public var data: ByteBuffer
    public init(tag: UInt32, data: ByteBuffer) {
        self.tag = tag
        self.data = data
    }
}

extension Array where Element == TaggedField {
    /// Orders unknown tagged fields by tag (stable), the order in which they are written back; a peer that sent
    /// them out of order then reads back the same value it would get from our encoding.
    public mutating func sortByTag() {
        if count > 1 { sort { $0.tag < $1.tag } }
    }
}

/// The versions in which a schema field is on the wire, as a union of closed ranges.
public struct VersionSet: Hashable, Sendable {
    public var ranges: [ClosedRange<Int16>]
    public init(_ ranges: [ClosedRange<Int16>]) { self.ranges = ranges }
    public func contains(_ version: Int16) -> Bool { ranges.contains { $0.contains(version) } }
}

/// What the generated code knows of one field, for tools that walk messages generically (the JSON printer).
public struct KafkaFieldInfo: Sendable {
    /// The field's name as Kafka's schema spells it.
    public var name: String
    /// The versions in which the field is present (regular or tagged).
    public var versions: VersionSet
    /// The field's schema type (`int32`, `[]string`, `records`, a struct name, ...).
    public var type: String
    public init(_ name: String, _ type: String, _ versions: VersionSet) {
        self.name = name
        self.type = type
        self.versions = versions
    }
}

/// A struct defined by a Kafka schema: a message, a record, or a nested struct inside one.
public protocol KafkaStruct: Sendable, Hashable {
    /// A value with every field at its schema default.
    init()
    /// Reads the struct as `version` lays it out.
    init(from buffer: inout ByteBuffer, version: Int16) throws
    /// Writes the struct as `version` lays it out; throws when a field the version lacks holds a non-default
    /// value that the schema does not mark ignorable.
    func encode(into buffer: inout ByteBuffer, version: Int16) throws
    /// Writes the struct with the file regions its `records` fields name laid out in place (see `RecordsRegions`);
    /// structs without records fields write themselves as `encode(into:version:)` does.
    func encode(into buffer: inout ByteBuffer, version: Int16, regions: inout RecordsRegions) throws
    /// The schema fields in declaration order (the order of the stored properties).
    static var fieldInfo: [KafkaFieldInfo] { get }
    /// Tagged fields read but not known to this schema.
    var unknownTaggedFields: [TaggedField] { get set }
}

extension KafkaStruct {
    public func encode(into buffer: inout ByteBuffer, version: Int16, regions: inout RecordsRegions) throws {
        try encode(into: &buffer, version: version)
    }
}

/// A top-level schema: a request or response body, a header, a metadata or coordinator record.
public protocol KafkaSchema: KafkaStruct {
    /// The schema's name (`ProduceRequest`, `TopicRecord`, ...).
    static var schemaName: String { get }
    /// Every version that can be read and written, including those only Kafka 3.9 and older defined.
    static var validVersions: ClosedRange<Int16> { get }
    /// The first flexible version (compact encodings and tagged fields), or nil when none is.
    static var firstFlexibleVersion: Int16? { get }
}

extension KafkaSchema {
    /// Whether `version` uses the flexible (KIP-482) encodings.
    @inlinable
    public static func isFlexible(_ version: Int16) -> Bool {
        guard let first = firstFlexibleVersion else { return false }
        return version >= first
    }
}

/// A request or response body of an API.
public protocol KafkaAPIMessage: KafkaSchema {
    /// The API key.
    static var apiKey: Int16 { get }
}

/// A request body of an API.
public protocol KafkaRequest: KafkaAPIMessage {
    associatedtype Response: KafkaAPIMessage
}

/// A response body of an API.
public protocol KafkaResponse: KafkaAPIMessage {}
