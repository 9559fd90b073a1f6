import KafkaProtocol
import NIOCore

/// One record of `__consumer_offsets`, framed as Kafka frames it: the record key is an int16 record type followed
/// by the key struct, the value an int16 version followed by the value struct, and a null value is a tombstone.
///
/// Types 0 and 1 are offset commits (0 is the pre-0.10 key, same layout), 2 is classic group metadata, 3-8 are
/// KIP-848 consumer group records. Other types (regexes, share and streams groups) are kept as bytes so a load
/// can skip them.
public struct CoordinatorRecord: Sendable, Hashable {
    /// What the record says.
    public enum Payload: Sendable, Hashable {
        /// A committed offset, or its deletion when `value` is nil.
        case offsetCommit(group: String, topic: String, partition: Int32, value: OffsetCommitValue?)
        /// A classic group's metadata, or the group's deletion when `value` is nil.
        case groupMetadata(group: String, value: GroupMetadataValue?)
        /// A KIP-848 consumer group record (types 3-8).
        case consumerGroup(ConsumerGroupRecord)
        /// A record type this coordinator does not interpret yet; kept undecoded: the key after its type, the value
        /// with its version.
        case other(type: Int16, key: ByteBuffer, value: ByteBuffer?)
    }

    public var payload: Payload
    /// The key type written (1 for offsets, 2 for group metadata, as Kafka writes them).
    public var keyType: Int16
    /// The value version written or read.
    public var valueVersion: Int16

    public init(payload: Payload, keyType: Int16, valueVersion: Int16) {
        self.payload = payload
        self.keyType = keyType
        self.valueVersion = valueVersion
    }

    /// An offset commit as Kafka writes it: value version 1 when the commit carries an explicit expiry
    /// (OffsetCommit v2-v4 retention time), version 3 otherwise.
    public static func offsetCommit(group: String, topic: String, partition: Int32, value: OffsetCommitValue) -> CoordinatorRecord {
        CoordinatorRecord(
            payload: .offsetCommit(group: group, topic: topic, partition: partition, value: value),
            keyType: 1, valueVersion: value.expireTimestamp >= 0 ? 1 : 3)
    }

    /// The deletion of a committed offset.
    public static func offsetTombstone(group: String, topic: String, partition: Int32) -> CoordinatorRecord {
        CoordinatorRecord(payload: .offsetCommit(group: group, topic: topic, partition: partition, value: nil), keyType: 1, valueVersion: 0)
    }

    /// Classic group metadata, value version 3 (the last non-flexible version, what Kafka 3.x writes).
    public static func groupMetadata(group: String, value: GroupMetadataValue) -> CoordinatorRecord {
        CoordinatorRecord(payload: .groupMetadata(group: group, value: value), keyType: 2, valueVersion: 3)
    }

    /// The deletion of a classic group.
    public static func groupTombstone(group: String) -> CoordinatorRecord {
        CoordinatorRecord(payload: .groupMetadata(group: group, value: nil), keyType: 2, valueVersion: 0)
    }

    /// True when the value is null.
    public var isTombstone: Bool {
        switch payload {
        case .offsetCommit(_, _, _, let value): return value == nil
        case .groupMetadata(_, let value): return value == nil
        case .consumerGroup(let r): return r.isTombstone
        case .other(_, _, let value): return value == nil
        }
    }

    /// A consumer group record, framed with its type.
    public static func consumerGroup(_ record: ConsumerGroupRecord) -> CoordinatorRecord {
        CoordinatorRecord(payload: .consumerGroup(record), keyType: record.keyType, valueVersion: 0)
    }

    // MARK: - Encoding

    /// The record key bytes.
    public func encodeKey() throws -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(keyType, endianness: .big)
        switch payload {
        case .offsetCommit(let group, let topic, let partition, _):
            var key = OffsetCommitKey()
            key.group = group
            key.topic = topic
            key.partition = partition
            try key.encode(into: &buffer, version: 0)
        case .groupMetadata(let group, _):
            var key = GroupMetadataKey()
            key.group = group
            try key.encode(into: &buffer, version: 0)
        case .consumerGroup(let r):
            try r.encodeKey(into: &buffer)
        case .other(_, var key, _):
            buffer.writeBuffer(&key)
        }
        return buffer
    }

    /// The record value bytes, nil for a tombstone.
    public func encodeValue() throws -> ByteBuffer? {
        var buffer = ByteBuffer()
        switch payload {
        case .offsetCommit(_, _, _, let value):
            guard let value else { return nil }
            buffer.writeInteger(valueVersion, endianness: .big)
            try value.encode(into: &buffer, version: valueVersion)
        case .groupMetadata(_, let value):
            guard let value else { return nil }
            buffer.writeInteger(valueVersion, endianness: .big)
            try value.encode(into: &buffer, version: valueVersion)
        case .consumerGroup(let r):
            guard try r.encodeValue(into: &buffer) else { return nil }
        case .other(_, _, let value):
            guard var value else { return nil }
            buffer.writeBuffer(&value)
        }
        return buffer
    }

    // MARK: - Decoding

    /// Decodes a record read from `__consumer_offsets`.
    public init(key keyBytes: ByteBuffer, value valueBytes: ByteBuffer?) throws {
        var key = keyBytes
        guard let type: Int16 = key.readInteger(endianness: .big) else {
            throw ProtocolError.invalid("coordinator record key shorter than its type")
        }
        var value = valueBytes
        var version: Int16 = 0
        if value != nil {
            guard let v: Int16 = value!.readInteger(endianness: .big) else {
                throw ProtocolError.invalid("coordinator record value shorter than its version")
            }
            version = v
        }
        switch type {
        case 0, 1:
            let k = try OffsetCommitKey(from: &key, version: 0)
            var decoded: OffsetCommitValue?
            if var v = value {
                // KIP-915: versions above the last known one only add tagged fields; read them as the last one.
                decoded = try OffsetCommitValue(from: &v, version: min(version, OffsetCommitValue.validVersions.upperBound))
            }
            self.init(payload: .offsetCommit(group: k.group, topic: k.topic, partition: k.partition, value: decoded),
                      keyType: type, valueVersion: version)
        case 2:
            let k = try GroupMetadataKey(from: &key, version: 0)
            var decoded: GroupMetadataValue?
            if var v = value {
                decoded = try GroupMetadataValue(from: &v, version: min(version, GroupMetadataValue.validVersions.upperBound))
            }
            self.init(payload: .groupMetadata(group: k.group, value: decoded), keyType: type, valueVersion: version)
        case 3...8:
            let r = try ConsumerGroupRecord.decode(type: type, key: &key, value: &value, version: version)!
            // Read as version 0 (newer versions only add tagged fields), and written back as version 0.
            self.init(payload: .consumerGroup(r), keyType: type, valueVersion: 0)
        default:
            self.init(payload: .other(type: type, key: key, value: valueBytes), keyType: type, valueVersion: version)
        }
    }
}
