import KafkaMetadata
import KafkaProtocol
import Testing

@Suite struct MetadataImageReplayTests {
    let id = KafkaUUID(mostSignificantBits: 5, leastSignificantBits: 6)

    func topic(_ name: String) -> MetadataRecord {
        var r = TopicRecord()
        r.name = name
        r.topicId = id
        return .topic(r)
    }

    func partition(_ index: Int32) -> MetadataRecord {
        var r = PartitionRecord()
        r.topicId = id
        r.partitionId = index
        r.replicas = [1, 2]
        r.isr = [1, 2]
        r.leader = 1
        r.leaderEpoch = 0
        r.partitionEpoch = 0
        r.directories = [.zero, .zero]
        return .partition(r, version: 1)
    }

    @Test func partitionChangeBumpsEpochs() throws {
        var image = MetadataImage()
        try image.replay([topic("t"), partition(0)])
        var change = PartitionChangeRecord()
        change.topicId = id
        change.partitionId = 0
        change.isr = [2]
        change.leader = 2
        try image.replay(.partitionChange(change))
        let p = try #require(image.topic(named: "t")?.partitions[0])
        #expect(p.leader == 2 && p.isr == [2] && p.leaderEpoch == 1 && p.partitionEpoch == 1)
        change.leader = PartitionRegistration.noLeaderChange
        change.isr = [1, 2]
        try image.replay(.partitionChange(change))
        let q = try #require(image.topic(named: "t")?.partitions[0])
        #expect(q.leader == 2 && q.isr == [1, 2] && q.leaderEpoch == 1 && q.partitionEpoch == 2)
    }

    @Test func replicaChangeKeepsDirectoriesOfRemainingReplicas() throws {
        var image = MetadataImage()
        var p = PartitionRecord()
        p.topicId = id
        p.partitionId = 0
        p.replicas = [1, 2]
        p.isr = [1, 2]
        p.leader = 1
        p.directories = [KafkaUUID(mostSignificantBits: 0, leastSignificantBits: 11), KafkaUUID(mostSignificantBits: 0, leastSignificantBits: 22)]
        try image.replay([topic("t"), .partition(p, version: 1)])
        var change = PartitionChangeRecord()
        change.topicId = id
        change.partitionId = 0
        change.replicas = [2, 3]
        try image.replay(.partitionChange(change, version: 1))
        #expect(image.topic(named: "t")?.partitions[0]?.directories == [p.directories[1], .zero])
    }

    @Test func removeTopicDropsItsConfigs() throws {
        var image = MetadataImage()
        var config = ConfigRecord()
        config.resourceType = 2
        config.resourceName = "t"
        config.name = "retention.ms"
        config.value = "1000"
        try image.replay([topic("t"), partition(0), .config(config)])
        #expect(image.topicConfigs("t") == ["retention.ms": "1000"])
        var remove = RemoveTopicRecord()
        remove.topicId = id
        try image.replay(.removeTopic(remove))
        #expect(image.topic(named: "t") == nil && image.topicsById.isEmpty && image.configs.isEmpty)
    }

    @Test func configDeleteRemovesEmptyResource() throws {
        var image = MetadataImage()
        var config = ConfigRecord()
        config.resourceType = 4
        config.resourceName = ""
        config.name = "log.retention.ms"
        config.value = "5"
        try image.replay(.config(config))
        #expect(image.configs[.brokerDefault] == ["log.retention.ms": "5"])
        config.value = nil
        try image.replay(.config(config))
        #expect(image.configs.isEmpty)
    }

    @Test func inconsistentRecordsThrowAndLeaveTheImageAlone() throws {
        var image = MetadataImage()
        #expect(throws: MetadataReplayError.self) { try image.replay(partition(0)) }
        try image.replay(topic("t"))
        let before = image
        #expect(throws: MetadataReplayError.self) { try image.replay(topic("t")) }
        var unfence = UnfenceBrokerRecord()
        unfence.id = 4
        #expect(throws: MetadataReplayError.self) { try image.replay(.unfenceBroker(unfence)) }
        var pids = ProducerIdsRecord()
        pids.nextProducerId = 0
        #expect(throws: MetadataReplayError.self) { try image.replay(.producerIds(pids)) }
        #expect(image == before)
    }

    @Test func featureLevelsAndDefaults() throws {
        var image = MetadataImage()
        #expect(image.metadataVersion == .v3_0_IV1)
        var f = FeatureLevelRecord()
        f.name = "metadata.version"
        f.featureLevel = 19
        try image.replay(.featureLevel(f))
        f.name = "group.version"
        f.featureLevel = 1
        try image.replay(.featureLevel(f))
        f.featureLevel = 0
        try image.replay(.featureLevel(f))
        #expect(image.features == ["metadata.version": 19])
        #expect(image.metadataVersion == .v3_7_IV4)
    }
}
