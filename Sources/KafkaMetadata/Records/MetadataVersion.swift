/// Levels of the `metadata.version` feature (KIP-778) and the record versions each level implies.
///
/// The level is a fact of Kafka's `MetadataVersion` table: 1 is 3.0-IV1 (the first KRaft level), 3 is 3.2-IV0,
/// 7 is 3.3-IV3, 8 is 3.4-IV0, 12 is 3.6-IV0, 17 is 3.7-IV2 (JBOD directory assignment, KIP-858), 19 is 3.7-IV4,
/// 20 is 3.8-IV0, 21 is 3.9-IV0.
public struct MetadataVersion: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The feature level as stored in `FeatureLevelRecord`.
    public var featureLevel: Int16

    public init(featureLevel: Int16) { self.featureLevel = featureLevel }

    /// The feature's name in `FeatureLevelRecord` and ApiVersions.
    public static let featureName = "metadata.version"

    /// 3.0-IV1, the lowest level KRaft supports; an image without a `metadata.version` record is at this level.
    public static let v3_0_IV1 = MetadataVersion(featureLevel: 1)
    /// 3.2-IV0: partitions carry a leader recovery state (KIP-704).
    public static let v3_2_IV0 = MetadataVersion(featureLevel: 3)
    /// 3.3-IV2: brokers' registration changes use BrokerRegistrationChangeRecord.
    public static let v3_3_IV2 = MetadataVersion(featureLevel: 6)
    /// 3.3-IV3: RegisterBrokerRecord v1 (InControlledShutdown).
    public static let v3_3_IV3 = MetadataVersion(featureLevel: 7)
    /// 3.4-IV0: RegisterBrokerRecord v2, BrokerRegistrationChangeRecord v1 (KIP-866).
    public static let v3_4_IV0 = MetadataVersion(featureLevel: 8)
    /// 3.6-IV0: an ISR shrink no longer bumps the leader epoch (KAFKA-15021).
    public static let v3_6_IV0 = MetadataVersion(featureLevel: 12)
    /// 3.7-IV2: directory assignment (KIP-858): RegisterBrokerRecord v3, PartitionRecord and
    /// PartitionChangeRecord v1, BrokerRegistrationChangeRecord v2.
    public static let v3_7_IV2 = MetadataVersion(featureLevel: 17)
    /// 3.7-IV4: the level Kafka 3.7.1's `kafka-storage format` writes by default (the captured bootstrap checkpoint
    /// holds level 19). Tributary bootstraps at this level: it is the newest level whose record formats the
    /// captured Kafka data exercises, and everything above it is opt-in features we do not implement yet (ELR,
    /// KIP-966; new group coordinator records).
    public static let v3_7_IV4 = MetadataVersion(featureLevel: 19)
    /// 3.8-IV0.
    public static let v3_8_IV0 = MetadataVersion(featureLevel: 20)
    /// 3.9-IV0.
    public static let v3_9_IV0 = MetadataVersion(featureLevel: 21)

    /// The level new clusters start at.
    public static let latestProduction = v3_7_IV4

    public static func < (a: MetadataVersion, b: MetadataVersion) -> Bool { a.featureLevel < b.featureLevel }

    public var description: String { "metadata.version=\(featureLevel)" }

    /// The version of RegisterBrokerRecord to write.
    public var registerBrokerRecordVersion: Int16 {
        if self >= .v3_7_IV2 { return 3 }
        if self >= .v3_4_IV0 { return 2 }
        if self >= .v3_3_IV3 { return 1 }
        return 0
    }

    /// The version of PartitionRecord to write (2 only with eligible leader replicas, which we do not enable).
    public var partitionRecordVersion: Int16 { self >= .v3_7_IV2 ? 1 : 0 }

    /// The version of PartitionChangeRecord to write.
    public var partitionChangeRecordVersion: Int16 { self >= .v3_7_IV2 ? 1 : 0 }

    /// Whether fencing changes are written as BrokerRegistrationChangeRecord rather than Fence/UnfenceBrokerRecord.
    public var usesBrokerRegistrationChangeRecord: Bool { self >= .v3_3_IV2 }

    /// The version of BrokerRegistrationChangeRecord to write.
    public var brokerRegistrationChangeRecordVersion: Int16 {
        if self >= .v3_7_IV2 { return 2 }
        if self >= .v3_4_IV0 { return 1 }
        return 0
    }

    /// Whether a PartitionChangeRecord that shrinks an ISR must bump the leader epoch: the replica manager of
    /// brokers before 3.6 needed it (KAFKA-15021).
    public var bumpsLeaderEpochOnIsrShrink: Bool { self < .v3_6_IV0 }

    /// Whether an unclean election marks the partition RECOVERING until its new leader has recovered (KIP-704).
    public var supportsLeaderRecovery: Bool { self >= .v3_2_IV0 }

    /// Whether partitions carry a log directory per replica (KIP-858).
    public var supportsDirectoryAssignment: Bool { self >= .v3_7_IV2 }
}
