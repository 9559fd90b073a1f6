import KafkaProtocol

extension MetadataImage {
    /// Applies one committed metadata record. This is the only way an image changes.
    ///
    /// Inconsistent records (a partition of an unknown topic, a broker change with a stale epoch, ...) throw and
    /// leave the image unchanged, as Kafka's controller fails on them.
    public mutating func replay(_ record: MetadataRecord) throws(MetadataReplayError) {
        switch record {
        case .featureLevel(let r, _): replayFeatureLevel(r)
        case .registerBroker(let r, _): brokers[r.brokerId] = BrokerRegistration(record: r)
        case .unregisterBroker(let r, _): try replayUnregister(r)
        case .fenceBroker(let r, _):
            try changeBroker(r.id, epoch: r.epoch) { $0.fenced = true }
        case .unfenceBroker(let r, _):
            try changeBroker(r.id, epoch: r.epoch) { $0.fenced = false }
        case .brokerRegistrationChange(let r, _): try replayRegistrationChange(r)
        case .topic(let r, _): try replayTopic(r)
        case .partition(let r, _): try replayPartition(r)
        case .partitionChange(let r, _): try replayPartitionChange(r)
        case .removeTopic(let r, _): try replayRemoveTopic(r)
        case .config(let r, _): try replayConfig(r)
        case .producerIds(let r, _): try replayProducerIds(r)
        case .noOp, .other: break
        }
        recordsReplayed += 1
    }

    /// Applies records in order.
    public mutating func replay(_ records: some Sequence<MetadataRecord>) throws(MetadataReplayError) {
        for record in records { try replay(record) }
    }

    /// The image after `records`.
    public func replaying(_ records: some Sequence<MetadataRecord>) throws(MetadataReplayError) -> MetadataImage {
        var next = self
        try next.replay(records)
        return next
    }

    private mutating func replayFeatureLevel(_ r: FeatureLevelRecord) {
        // Level 0 removes a feature (KIP-584), except metadata.version, which can never be unset.
        if r.featureLevel == 0 && r.name != MetadataVersion.featureName {
            features[r.name] = nil
        } else {
            features[r.name] = r.featureLevel
        }
    }

    private mutating func replayUnregister(_ r: UnregisterBrokerRecord) throws(MetadataReplayError) {
        guard let broker = brokers[r.brokerId] else {
            throw MetadataReplayError("unregistering broker \(r.brokerId), which is not registered")
        }
        guard broker.epoch == r.brokerEpoch else {
            throw MetadataReplayError(
                "unregistering broker \(r.brokerId) at epoch \(r.brokerEpoch), but its epoch is \(broker.epoch)")
        }
        brokers[r.brokerId] = nil
    }

    private mutating func changeBroker(
        _ id: Int32, epoch: Int64, _ change: (inout BrokerRegistration) -> Void
    ) throws(MetadataReplayError) {
        guard var broker = brokers[id] else {
            throw MetadataReplayError("change to broker \(id), which is not registered")
        }
        guard broker.epoch == epoch else {
            throw MetadataReplayError("change to broker \(id) at epoch \(epoch), but its epoch is \(broker.epoch)")
        }
        change(&broker)
        brokers[id] = broker
    }

    private mutating func replayRegistrationChange(_ r: BrokerRegistrationChangeRecord) throws(MetadataReplayError) {
        // Fenced: 1 fence, -1 unfence, 0 unchanged; InControlledShutdown: 1 entering, 0 unchanged (KIP-631).
        guard [-1, 0, 1].contains(r.fenced), [0, 1].contains(r.inControlledShutdown) else {
            throw MetadataReplayError(
                "broker \(r.brokerId) registration change with fenced \(r.fenced), shutdown \(r.inControlledShutdown)")
        }
        try changeBroker(r.brokerId, epoch: r.brokerEpoch) { broker in
            if r.fenced == 1 { broker.fenced = true }
            if r.fenced == -1 { broker.fenced = false }
            if r.inControlledShutdown == 1 { broker.inControlledShutdown = true }
            if !r.logDirs.isEmpty { broker.logDirectories = r.logDirs }
        }
    }

    private mutating func replayTopic(_ r: TopicRecord) throws(MetadataReplayError) {
        if topicsById[r.topicId] != nil {
            throw MetadataReplayError("topic id \(r.topicId) already exists")
        }
        if topicIdsByName[r.name] != nil {
            throw MetadataReplayError("topic '\(r.name)' already exists")
        }
        topicsById[r.topicId] = TopicImage(name: r.name, id: r.topicId)
        topicIdsByName[r.name] = r.topicId
    }

    private mutating func replayPartition(_ r: PartitionRecord) throws(MetadataReplayError) {
        guard topicsById[r.topicId] != nil else {
            throw MetadataReplayError("partition \(r.partitionId) of unknown topic id \(r.topicId)")
        }
        // A PartitionRecord for an existing partition replaces it (Kafka uses this for reassignment completion).
        topicsById[r.topicId]!.partitions[r.partitionId] = PartitionRegistration(record: r)
    }

    private mutating func replayPartitionChange(_ r: PartitionChangeRecord) throws(MetadataReplayError) {
        guard let partition = topicsById[r.topicId]?.partitions[r.partitionId] else {
            throw MetadataReplayError("change to unknown partition \(r.partitionId) of topic id \(r.topicId)")
        }
        topicsById[r.topicId]!.partitions[r.partitionId] = partition.merging(r)
    }

    private mutating func replayRemoveTopic(_ r: RemoveTopicRecord) throws(MetadataReplayError) {
        guard let topic = topicsById.removeValue(forKey: r.topicId) else {
            throw MetadataReplayError("removing unknown topic id \(r.topicId)")
        }
        topicIdsByName[topic.name] = nil
        // A topic's dynamic configs go with it, as in Kafka's ConfigurationControlManager.
        configs[.topic(topic.name)] = nil
    }

    private mutating func replayConfig(_ r: ConfigRecord) throws(MetadataReplayError) {
        guard let type = ConfigResource.ResourceType(rawValue: r.resourceType), type != .unknown else {
            throw MetadataReplayError("config record for unknown resource type \(r.resourceType)")
        }
        let resource = ConfigResource(type: type, name: r.resourceName)
        var values = configs[resource] ?? [:]
        values[r.name] = r.value
        configs[resource] = values.isEmpty ? nil : values
    }

    private mutating func replayProducerIds(_ r: ProducerIdsRecord) throws(MetadataReplayError) {
        // Blocks only move forward, or a producer id could be handed out twice.
        guard r.nextProducerId > nextProducerId else {
            throw MetadataReplayError(
                "next producer id \(r.nextProducerId) does not advance past \(nextProducerId)")
        }
        nextProducerId = r.nextProducerId
        lastProducerIdBlockBroker = r.brokerId
    }
}
