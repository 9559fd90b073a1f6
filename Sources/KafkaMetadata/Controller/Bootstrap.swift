import KafkaProtocol

extension QuorumController {
    /// The records `kafka-storage format` puts in `bootstrap.checkpoint` and the controller writes at the start
    /// of an empty metadata log: the finalized `metadata.version` (KIP-778).
    public static func bootstrapRecords(metadataVersion: MetadataVersion = .latestProduction) -> [MetadataRecord] {
        var record = FeatureLevelRecord()
        record.name = MetadataVersion.featureName
        record.featureLevel = metadataVersion.featureLevel
        return [.featureLevel(record)]
    }

    /// `bootstrapRecords` as a command result, for drivers that run every log write through the same path.
    public func bootstrap(metadataVersion: MetadataVersion = .latestProduction) -> ControllerResult<Void> {
        ControllerResult(records: Self.bootstrapRecords(metadataVersion: metadataVersion), response: ())
    }
}
