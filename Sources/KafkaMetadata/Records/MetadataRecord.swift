import KafkaProtocol
import NIOCore

/// One record of the KRaft metadata log (`__cluster_metadata`) or of a metadata snapshot, with the schema version it
/// is (or will be) written at.
///
/// Every case carries its record version because the version is part of the bytes: re-encoding a record read from
/// the log must give back the same bytes, and the controller picks versions from the finalized `metadata.version`
/// (KIP-778). Record types this target does not interpret (ACLs, quotas, SCRAM credentials, delegation tokens,
/// controller registrations, ...) are kept raw in `.other` so a log can be read and rewritten without loss.
public enum MetadataRecord: Hashable, Sendable {
    case registerBroker(RegisterBrokerRecord, version: Int16 = 0)
    case unregisterBroker(UnregisterBrokerRecord, version: Int16 = 0)
    case topic(TopicRecord, version: Int16 = 0)
    case partition(PartitionRecord, version: Int16 = 0)
    case config(ConfigRecord, version: Int16 = 0)
    case partitionChange(PartitionChangeRecord, version: Int16 = 0)
    case fenceBroker(FenceBrokerRecord, version: Int16 = 0)
    case unfenceBroker(UnfenceBrokerRecord, version: Int16 = 0)
    case removeTopic(RemoveTopicRecord, version: Int16 = 0)
    case featureLevel(FeatureLevelRecord, version: Int16 = 0)
    case producerIds(ProducerIdsRecord, version: Int16 = 0)
    case brokerRegistrationChange(BrokerRegistrationChangeRecord, version: Int16 = 0)
    case noOp(NoOpRecord, version: Int16 = 0)
    /// A record type this target keeps as bytes: `body` is the record body after the three framing varints.
    case other(type: Int16, version: Int16, body: ByteBuffer)

    /// The frame version written before the record type; Kafka's `MetadataRecordSerde` has only ever used 1.
    public static let frameVersion: UInt32 = 1

    /// The record type id (the schema's `apiKey`).
    public var type: Int16 {
        switch self {
        case .registerBroker: return RegisterBrokerRecord.apiKey
        case .unregisterBroker: return UnregisterBrokerRecord.apiKey
        case .topic: return TopicRecord.apiKey
        case .partition: return PartitionRecord.apiKey
        case .config: return ConfigRecord.apiKey
        case .partitionChange: return PartitionChangeRecord.apiKey
        case .fenceBroker: return FenceBrokerRecord.apiKey
        case .unfenceBroker: return UnfenceBrokerRecord.apiKey
        case .removeTopic: return RemoveTopicRecord.apiKey
        case .featureLevel: return FeatureLevelRecord.apiKey
        case .producerIds: return ProducerIdsRecord.apiKey
        case .brokerRegistrationChange: return BrokerRegistrationChangeRecord.apiKey
        case .noOp: return NoOpRecord.apiKey
        case .other(let type, _, _): return type
        }
    }

    /// The record's schema version.
    public var version: Int16 {
        switch self {
        case .registerBroker(_, let v), .unregisterBroker(_, let v), .topic(_, let v), .partition(_, let v),
            .config(_, let v), .partitionChange(_, let v), .fenceBroker(_, let v), .unfenceBroker(_, let v),
            .removeTopic(_, let v), .featureLevel(_, let v), .producerIds(_, let v),
            .brokerRegistrationChange(_, let v), .noOp(_, let v), .other(_, let v, _):
            return v
        }
    }
}
