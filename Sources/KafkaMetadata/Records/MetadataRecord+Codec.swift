import KafkaProtocol
import NIOCore

extension MetadataRecord {
    /// Writes the record as the value of a metadata log record: unsigned varint frame version (1), unsigned varint
    /// record type, unsigned varint record version, then the body. The log record's key is null.
    public func encode(into buffer: inout ByteBuffer) throws {
        buffer.kafkaWriteUnsignedVarint(Self.frameVersion)
        buffer.kafkaWriteUnsignedVarint(UInt32(UInt16(bitPattern: type)))
        buffer.kafkaWriteUnsignedVarint(UInt32(UInt16(bitPattern: version)))
        switch self {
        case .registerBroker(let r, let v): try r.encode(into: &buffer, version: v)
        case .unregisterBroker(let r, let v): try r.encode(into: &buffer, version: v)
        case .topic(let r, let v): try r.encode(into: &buffer, version: v)
        case .partition(let r, let v): try r.encode(into: &buffer, version: v)
        case .config(let r, let v): try r.encode(into: &buffer, version: v)
        case .partitionChange(let r, let v): try r.encode(into: &buffer, version: v)
        case .fenceBroker(let r, let v): try r.encode(into: &buffer, version: v)
        case .unfenceBroker(let r, let v): try r.encode(into: &buffer, version: v)
        case .removeTopic(let r, let v): try r.encode(into: &buffer, version: v)
        case .featureLevel(let r, let v): try r.encode(into: &buffer, version: v)
        case .producerIds(let r, let v): try r.encode(into: &buffer, version: v)
        case .brokerRegistrationChange(let r, let v): try r.encode(into: &buffer, version: v)
        case .noOp(let r, let v): try r.encode(into: &buffer, version: v)
        case .other(_, _, var body): buffer.writeBuffer(&body)
        }
    }

    /// The framed bytes of the record, for a log record's value.
    public func encoded() throws -> ByteBuffer {
        var buffer = ByteBuffer()
        try encode(into: &buffer)
        return buffer
    }

    /// Reads one framed record from the readable bytes of `buffer` (a log record's value), which must hold exactly
    /// one record: trailing bytes are an error, as in Kafka's `MetadataRecordSerde`.
    public static func decode(from buffer: inout ByteBuffer) throws -> MetadataRecord {
        let frame = try buffer.kafkaReadUnsignedVarint("metadata record frame version")
        guard frame == frameVersion else {
            throw ProtocolError.invalid("metadata record frame version \(frame), expected \(frameVersion)")
        }
        let rawType = try buffer.kafkaReadUnsignedVarint("metadata record type")
        let rawVersion = try buffer.kafkaReadUnsignedVarint("metadata record version")
        guard rawType <= UInt32(Int16.max), rawVersion <= UInt32(Int16.max) else {
            throw ProtocolError.invalid("metadata record type \(rawType) / version \(rawVersion) out of range")
        }
        let type = Int16(rawType)
        let version = Int16(rawVersion)
        let record: MetadataRecord
        switch type {
        case RegisterBrokerRecord.apiKey: record = .registerBroker(try .init(from: &buffer, version: version), version: version)
        case UnregisterBrokerRecord.apiKey: record = .unregisterBroker(try .init(from: &buffer, version: version), version: version)
        case TopicRecord.apiKey: record = .topic(try .init(from: &buffer, version: version), version: version)
        case PartitionRecord.apiKey: record = .partition(try .init(from: &buffer, version: version), version: version)
        case ConfigRecord.apiKey: record = .config(try .init(from: &buffer, version: version), version: version)
        case PartitionChangeRecord.apiKey: record = .partitionChange(try .init(from: &buffer, version: version), version: version)
        case FenceBrokerRecord.apiKey: record = .fenceBroker(try .init(from: &buffer, version: version), version: version)
        case UnfenceBrokerRecord.apiKey: record = .unfenceBroker(try .init(from: &buffer, version: version), version: version)
        case RemoveTopicRecord.apiKey: record = .removeTopic(try .init(from: &buffer, version: version), version: version)
        case FeatureLevelRecord.apiKey: record = .featureLevel(try .init(from: &buffer, version: version), version: version)
        case ProducerIdsRecord.apiKey: record = .producerIds(try .init(from: &buffer, version: version), version: version)
        case BrokerRegistrationChangeRecord.apiKey:
            record = .brokerRegistrationChange(try .init(from: &buffer, version: version), version: version)
        case NoOpRecord.apiKey: record = .noOp(try .init(from: &buffer, version: version), version: version)
        default:
            let body = buffer.readSlice(length: buffer.readableBytes)!
            return .other(type: type, version: version, body: body)
        }
        guard buffer.readableBytes == 0 else {
            throw ProtocolError.invalid("\(buffer.readableBytes) bytes after metadata record type \(type) v\(version)")
        }
        return record
    }

    /// Decodes a log record's value without consuming the caller's buffer.
    public static func decode(_ value: ByteBuffer) throws -> MetadataRecord {
        var copy = value
        return try decode(from: &copy)
    }
}
