import KafkaProtocol

/// Writing an image out as the records of a metadata snapshot (KIP-630) and loading one back.
///
/// The records are the ones Kafka's `MetadataImage.write` puts into a `.checkpoint`, in its order: the finalized
/// features (`metadata.version` first), each broker's RegisterBrokerRecord carrying its current fencing and
/// controlled-shutdown state, each topic's TopicRecord followed by one PartitionRecord per partition, one
/// ConfigRecord per dynamic config key, and a ProducerIdsRecord for the next producer id block. Replaying them
/// into an empty image gives back this image (except `recordsReplayed`, a change counter).
///
/// Left out because the image does not hold them: records kept as `.other` (controller registrations, ACLs,
/// client quotas, SCRAM credentials, delegation tokens), which this image does not replay either.
extension MetadataImage {
    /// The records that rebuild this image from an empty one, at the record versions `metadata.version` implies
    /// (raised where a field the image holds needs a newer version, so that nothing is dropped).
    public func snapshotRecords() -> [MetadataRecord] {
        var records: [MetadataRecord] = []
        // metadata.version first: every later record's version depends on it (Kafka's FeaturesImage.write).
        if let level = features[MetadataVersion.featureName] {
            records.append(.featureLevel(Self.featureRecord(MetadataVersion.featureName, level)))
        }
        for (name, level) in features.sorted(by: { $0.key < $1.key }) where name != MetadataVersion.featureName {
            records.append(.featureLevel(Self.featureRecord(name, level)))
        }
        let mv = metadataVersion
        for broker in brokers.values.sorted(by: { $0.id < $1.id }) {
            records.append(broker.snapshotRecord(mv))
        }
        for topic in topicsByName {
            var t = TopicRecord()
            t.name = topic.name
            t.topicId = topic.id
            records.append(.topic(t))
            for partition in topic.sortedPartitions {
                records.append(partition.snapshotRecord(topicId: topic.id, mv))
            }
        }
        let resources = configs.keys.sorted { ($0.type.rawValue, $0.name) < ($1.type.rawValue, $1.name) }
        for resource in resources {
            for (name, value) in configs[resource]!.sorted(by: { $0.key < $1.key }) {
                records.append(.config(resource, name, value))
            }
        }
        if nextProducerId > 0 {
            // Kafka's ProducerIdsImage writes broker id and epoch -1; the id of the broker that got the last block
            // is kept here so that the image loads back equal. No broker epoch is kept (it is not in the image).
            var p = ProducerIdsRecord()
            p.brokerId = lastProducerIdBlockBroker ?? -1
            p.brokerEpoch = -1
            p.nextProducerId = nextProducerId
            records.append(.producerIds(p))
        }
        return records
    }

    /// The image a snapshot's records give, replacing `previous` whole: nothing of `previous` survives except that
    /// `recordsReplayed` keeps growing (readers use it to notice that the image changed).
    public static func loading(snapshot records: [MetadataRecord], after previous: MetadataImage) throws(MetadataReplayError) -> MetadataImage {
        var image = MetadataImage()
        try image.replay(records)
        image.recordsReplayed = previous.recordsReplayed + max(1, records.count)
        return image
    }

    private static func featureRecord(_ name: String, _ level: Int16) -> FeatureLevelRecord {
        var f = FeatureLevelRecord()
        f.name = name
        f.featureLevel = level
        return f
    }
}

extension BrokerRegistration {
    /// The RegisterBrokerRecord of a snapshot: the registration with its current fencing and shutdown state
    /// (Kafka folds the later Fence/Unfence/BrokerRegistrationChange records into it).
    func snapshotRecord(_ mv: MetadataVersion) -> MetadataRecord {
        var r = RegisterBrokerRecord()
        r.brokerId = id
        r.incarnationId = incarnationId
        r.brokerEpoch = epoch
        r.endPoints = listeners.map(\.record)
        r.features = supportedFeatures.map(\.record)
        r.rack = rack
        r.fenced = fenced
        r.inControlledShutdown = inControlledShutdown
        r.logDirs = logDirectories
        var version = mv.registerBrokerRecordVersion
        if inControlledShutdown { version = max(version, 1) }
        if !logDirectories.isEmpty { version = max(version, 3) }
        return .registerBroker(r, version: version)
    }
}

extension BrokerRegistration.Endpoint {
    /// The endpoint as RegisterBrokerRecord writes it.
    var record: RegisterBrokerRecord.BrokerEndpoint {
        var e = RegisterBrokerRecord.BrokerEndpoint()
        e.name = name
        e.host = host
        e.port = port
        e.securityProtocol = securityProtocol
        return e
    }
}

extension BrokerRegistration.SupportedFeature {
    /// The feature range as RegisterBrokerRecord writes it.
    var record: RegisterBrokerRecord.BrokerFeature {
        var f = RegisterBrokerRecord.BrokerFeature()
        f.name = name
        f.minSupportedVersion = minVersion
        f.maxSupportedVersion = maxVersion
        return f
    }
}

extension MetadataRecord {
    /// A ConfigRecord setting (or, with a nil value, removing) one dynamic config key of a resource.
    static func config(_ resource: ConfigResource, _ name: String, _ value: String?) -> MetadataRecord {
        var c = ConfigRecord()
        c.resourceType = resource.type.rawValue
        c.resourceName = resource.name
        c.name = name
        c.value = value
        return .config(c)
    }
}

extension PartitionRegistration {
    /// The PartitionRecord of a snapshot: the partition as it is now, epochs included.
    func snapshotRecord(topicId: KafkaUUID, _ mv: MetadataVersion) -> MetadataRecord {
        var r = PartitionRecord()
        r.partitionId = partitionId
        r.topicId = topicId
        r.replicas = replicas
        r.isr = isr
        r.removingReplicas = removingReplicas
        r.addingReplicas = addingReplicas
        r.leader = leader
        r.leaderRecoveryState = leaderRecoveryState
        r.leaderEpoch = leaderEpoch
        r.partitionEpoch = partitionEpoch
        r.directories = directories
        var version = mv.partitionRecordVersion
        if !directories.isEmpty { version = max(version, 1) }
        if !eligibleLeaderReplicas.isEmpty || !lastKnownElr.isEmpty {
            // KIP-966 fields exist from v2 on; an image without them writes them as absent, as Kafka does below v2.
            version = 2
            r.eligibleLeaderReplicas = eligibleLeaderReplicas
            r.lastKnownElr = lastKnownElr
        }
        return .partition(r, version: version)
    }
}
