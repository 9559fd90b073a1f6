import KafkaProtocol
import NIOCore

/// The `__consumer_offsets` records of a KIP-848 consumer group, in Kafka's record types (key types 3-8; all
/// values version 0). A nil value is the record's tombstone.
///
/// Kafka 4.1+ no longer writes type 4 (subscription metadata; the topics' hash moved into type 3), nor does this
/// coordinator; type 4 is still read so a log Kafka wrote loads. Type 16 (resolved regular expressions) is not
/// written: regexes are resolved again from the metadata image after a load.
public enum ConsumerGroupRecord: Sendable, Hashable {
    /// Type 3: the group epoch (and the subscribed topics' hash); its tombstone deletes the group.
    case metadata(group: String, value: ConsumerGroupMetadataValue?)
    /// Type 4: subscription metadata (read, never written).
    case partitionMetadata(group: String, value: ConsumerGroupPartitionMetadataValue?)
    /// Type 5: a member's subscription and client details.
    case memberMetadata(group: String, member: String, value: ConsumerGroupMemberMetadataValue?)
    /// Type 6: the epoch of the target assignment.
    case targetAssignmentMetadata(group: String, value: ConsumerGroupTargetAssignmentMetadataValue?)
    /// Type 7: one member's target assignment.
    case targetAssignmentMember(group: String, member: String, value: ConsumerGroupTargetAssignmentMemberValue?)
    /// Type 8: one member's current assignment, epochs and reconciliation state.
    case currentAssignment(group: String, member: String, value: ConsumerGroupCurrentMemberAssignmentValue?)

    /// The record's key type.
    public var keyType: Int16 {
        switch self {
        case .metadata: return 3
        case .partitionMetadata: return 4
        case .memberMetadata: return 5
        case .targetAssignmentMetadata: return 6
        case .targetAssignmentMember: return 7
        case .currentAssignment: return 8
        }
    }

    public var groupId: String {
        switch self {
        case .metadata(let g, _), .partitionMetadata(let g, _), .memberMetadata(let g, _, _),
            .targetAssignmentMetadata(let g, _), .targetAssignmentMember(let g, _, _), .currentAssignment(let g, _, _):
            return g
        }
    }

    var isTombstone: Bool {
        switch self {
        case .metadata(_, let v): return v == nil
        case .partitionMetadata(_, let v): return v == nil
        case .memberMetadata(_, _, let v): return v == nil
        case .targetAssignmentMetadata(_, let v): return v == nil
        case .targetAssignmentMember(_, _, let v): return v == nil
        case .currentAssignment(_, _, let v): return v == nil
        }
    }

    /// Writes the key struct (after the type the caller wrote).
    func encodeKey(into buffer: inout ByteBuffer) throws {
        switch self {
        case .metadata(let g, _):
            var k = ConsumerGroupMetadataKey(); k.groupId = g
            try k.encode(into: &buffer, version: 0)
        case .partitionMetadata(let g, _):
            var k = ConsumerGroupPartitionMetadataKey(); k.groupId = g
            try k.encode(into: &buffer, version: 0)
        case .memberMetadata(let g, let m, _):
            var k = ConsumerGroupMemberMetadataKey(); k.groupId = g; k.memberId = m
            try k.encode(into: &buffer, version: 0)
        case .targetAssignmentMetadata(let g, _):
            var k = ConsumerGroupTargetAssignmentMetadataKey(); k.groupId = g
            try k.encode(into: &buffer, version: 0)
        case .targetAssignmentMember(let g, let m, _):
            var k = ConsumerGroupTargetAssignmentMemberKey(); k.groupId = g; k.memberId = m
            try k.encode(into: &buffer, version: 0)
        case .currentAssignment(let g, let m, _):
            var k = ConsumerGroupCurrentMemberAssignmentKey(); k.groupId = g; k.memberId = m
            try k.encode(into: &buffer, version: 0)
        }
    }

    /// Writes version 0 and the value struct; false for a tombstone (nothing written).
    func encodeValue(into buffer: inout ByteBuffer) throws -> Bool {
        func put(_ v: some KafkaSchema) throws {
            buffer.writeInteger(Int16(0), endianness: .big)
            try v.encode(into: &buffer, version: 0)
        }
        switch self {
        case .metadata(_, let v): if let v { try put(v) } else { return false }
        case .partitionMetadata(_, let v): if let v { try put(v) } else { return false }
        case .memberMetadata(_, _, let v): if let v { try put(v) } else { return false }
        case .targetAssignmentMetadata(_, let v): if let v { try put(v) } else { return false }
        case .targetAssignmentMember(_, _, let v): if let v { try put(v) } else { return false }
        case .currentAssignment(_, _, let v): if let v { try put(v) } else { return false }
        }
        return true
    }

    /// Decodes a record of types 3-8 (the type already read from `key`); nil for other types.
    static func decode(type: Int16, key: inout ByteBuffer, value: inout ByteBuffer?, version: Int16) throws -> ConsumerGroupRecord? {
        // KIP-915: newer value versions only add tagged fields; read them as version 0.
        func read<T: KafkaSchema>(_: T.Type) throws -> T? {
            guard value != nil else { return nil }
            return try T(from: &value!, version: min(version, T.validVersions.upperBound))
        }
        switch type {
        case 3:
            let k = try ConsumerGroupMetadataKey(from: &key, version: 0)
            return .metadata(group: k.groupId, value: try read(ConsumerGroupMetadataValue.self))
        case 4:
            let k = try ConsumerGroupPartitionMetadataKey(from: &key, version: 0)
            return .partitionMetadata(group: k.groupId, value: try read(ConsumerGroupPartitionMetadataValue.self))
        case 5:
            let k = try ConsumerGroupMemberMetadataKey(from: &key, version: 0)
            return .memberMetadata(group: k.groupId, member: k.memberId, value: try read(ConsumerGroupMemberMetadataValue.self))
        case 6:
            let k = try ConsumerGroupTargetAssignmentMetadataKey(from: &key, version: 0)
            return .targetAssignmentMetadata(group: k.groupId, value: try read(ConsumerGroupTargetAssignmentMetadataValue.self))
        case 7:
            let k = try ConsumerGroupTargetAssignmentMemberKey(from: &key, version: 0)
            return .targetAssignmentMember(group: k.groupId, member: k.memberId, value: try read(ConsumerGroupTargetAssignmentMemberValue.self))
        case 8:
            let k = try ConsumerGroupCurrentMemberAssignmentKey(from: &key, version: 0)
            return .currentAssignment(group: k.groupId, member: k.memberId, value: try read(ConsumerGroupCurrentMemberAssignmentValue.self))
        default:
            return nil
        }
    }
}
