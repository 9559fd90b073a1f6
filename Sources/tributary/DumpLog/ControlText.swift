import KafkaProtocol
import NIOCore

/// Control records as kafka-dump-log.sh shows them: transaction markers by type and coordinator epoch, KRaft
/// snapshot and membership records as JSON, anything else by type name and id.
enum ControlText {
    static func describe(_ record: Record) -> String {
        let type: ControlRecordType
        do { type = try ControlRecordType(key: record.key) } catch { return "controlType: unreadable (\(error))" }
        switch type {
        case .abort, .commit:
            guard let marker = try? EndTransactionMarker(record: record) else { return "endTxnMarker: \(type) unreadable" }
            return "endTxnMarker: \(marker.type) coordinatorEpoch: \(marker.coordinatorEpoch)"
        case .snapshotHeader: return body(SnapshotHeaderRecord.self, "SnapshotHeader", record, type)
        case .snapshotFooter: return body(SnapshotFooterRecord.self, "SnapshotFooter", record, type)
        case .kraftVersion: return body(KRaftVersionRecord.self, "KRaftVersion", record, type)
        case .kraftVoters: return body(VotersRecord.self, "KRaftVoters", record, type)
        case .leaderChange, .unknown: return "controlType: \(type)(\(type.rawValue))"
        }
    }

    /// These values carry their own Version field and are read at version 0, as Kafka reads them.
    private static func body<T: KafkaSchema>(_: T.Type, _ label: String, _ record: Record, _ type: ControlRecordType) -> String {
        guard var value = record.value, let decoded = try? T(from: &value, version: 0) else {
            return "controlType: \(type)(\(type.rawValue))"
        }
        return label + " " + CompactJSON.render(CompactJSON.camelCased(MessageJSON.json(decoded, version: 0)))
    }
}

/// KRaft metadata record values (`__cluster_metadata`): unsigned varint frame version, record type and record
/// version, then the record. Rendered as Kafka's --cluster-metadata-decoder does: `{"type":..,"version":..,"data":..}`.
enum MetadataRecordText {
    static let types: [Int16: any KafkaSchema.Type] = {
        let all: [(Int16, any KafkaSchema.Type)] = [
            (RegisterBrokerRecord.apiKey, RegisterBrokerRecord.self), (UnregisterBrokerRecord.apiKey, UnregisterBrokerRecord.self),
            (TopicRecord.apiKey, TopicRecord.self), (PartitionRecord.apiKey, PartitionRecord.self),
            (ConfigRecord.apiKey, ConfigRecord.self), (PartitionChangeRecord.apiKey, PartitionChangeRecord.self),
            (FenceBrokerRecord.apiKey, FenceBrokerRecord.self), (UnfenceBrokerRecord.apiKey, UnfenceBrokerRecord.self),
            (RemoveTopicRecord.apiKey, RemoveTopicRecord.self), (DelegationTokenRecord.apiKey, DelegationTokenRecord.self),
            (UserScramCredentialRecord.apiKey, UserScramCredentialRecord.self),
            (FeatureLevelRecord.apiKey, FeatureLevelRecord.self), (ClientQuotaRecord.apiKey, ClientQuotaRecord.self),
            (ProducerIdsRecord.apiKey, ProducerIdsRecord.self),
            (BrokerRegistrationChangeRecord.apiKey, BrokerRegistrationChangeRecord.self),
            (AccessControlEntryRecord.apiKey, AccessControlEntryRecord.self),
            (RemoveAccessControlEntryRecord.apiKey, RemoveAccessControlEntryRecord.self),
            (NoOpRecord.apiKey, NoOpRecord.self), (ZkMigrationStateRecord.apiKey, ZkMigrationStateRecord.self),
            (RemoveUserScramCredentialRecord.apiKey, RemoveUserScramCredentialRecord.self),
            (BeginTransactionRecord.apiKey, BeginTransactionRecord.self), (EndTransactionRecord.apiKey, EndTransactionRecord.self),
            (AbortTransactionRecord.apiKey, AbortTransactionRecord.self),
            (RemoveDelegationTokenRecord.apiKey, RemoveDelegationTokenRecord.self),
            (RegisterControllerRecord.apiKey, RegisterControllerRecord.self), (ClearElrRecord.apiKey, ClearElrRecord.self),
        ]
        return Dictionary(all, uniquingKeysWith: { a, _ in a })
    }()

    static func describe(_ value: ByteBuffer) -> String {
        do { return CompactJSON.render(try decode(value)) } catch { return "Error: \(error)" }
    }

    static func decode(_ value: ByteBuffer) throws -> JSONValue {
        var buffer = value
        let frame = try buffer.kafkaReadUnsignedVarint("frame version")
        guard frame == 1 else { throw DumpLogError.corrupt("metadata frame version \(frame)") }
        let typeID = try buffer.kafkaReadUnsignedVarint("record type")
        let version = try buffer.kafkaReadUnsignedVarint("record version")
        guard typeID <= Int16.max, let type = types[Int16(typeID)] else { throw DumpLogError.corrupt("unknown metadata record type \(typeID)") }
        guard version <= Int16.max, type.validVersions.contains(Int16(version)) else {
            throw DumpLogError.corrupt("\(type.schemaName) has no version \(version)")
        }
        let record = try type.init(from: &buffer, version: Int16(version))
        return .object([
            ("type", .string(upperSnakeCase(type.schemaName))), ("version", .number("\(version)")),
            ("data", CompactJSON.camelCased(MessageJSON.json(record, version: Int16(version)))),
        ])
    }

    /// `RegisterBrokerRecord` -> `REGISTER_BROKER_RECORD`, the spelling of Kafka's MetadataRecordType names.
    static func upperSnakeCase(_ name: String) -> String {
        var out = ""
        for (i, c) in name.enumerated() {
            if c.isUppercase && i > 0 { out += "_" }
            out += c.uppercased()
        }
        return out
    }
}
