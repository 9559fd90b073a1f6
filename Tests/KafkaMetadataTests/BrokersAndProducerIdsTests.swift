import KafkaMetadata
import KafkaProtocol
import Testing

@Suite struct BrokersAndProducerIdsTests {
    let spec = BrokerRegistrationSpec(
        brokerId: 1, incarnationId: KafkaUUID(mostSignificantBits: 1, leastSignificantBits: 1),
        listeners: [.init(name: "PLAINTEXT", host: "h", port: 9092, securityProtocol: 0)],
        supportedFeatures: [.init(name: "metadata.version", minVersion: 1, maxVersion: 19)], rack: "r1",
        logDirectories: [KafkaUUID(mostSignificantBits: 3, leastSignificantBits: 3)])

    @Test func bootstrapWritesMetadataVersion() throws {
        var controller = QuorumController()
        let records = controller.bootstrap().records
        #expect(records.count == 1)
        try controller.commit(controller.bootstrap(metadataVersion: .v3_7_IV4))
        #expect(controller.image.features == ["metadata.version": 19])
    }

    @Test func registerAndUnfence() throws {
        var controller = QuorumController()
        try controller.commit(controller.bootstrap())
        let result = controller.registerBroker(spec, brokerEpoch: 5)
        #expect(result.response == BrokerRegistrationResult(brokerEpoch: 5))
        guard case .registerBroker(let record, let version) = result.records[0] else { Issue.record("not a registration"); return }
        #expect(version == 3 && record.fenced && record.logDirs == spec.logDirectories)
        try controller.commit(result)
        let broker = try #require(controller.image.brokers[1])
        #expect(broker.fenced && broker.rack == "r1" && broker.listeners == spec.listeners && broker.epoch == 5)
        #expect(controller.unfenceBroker(1, brokerEpoch: 4).response.error == .staleBrokerEpoch)
        #expect(controller.unfenceBroker(2, brokerEpoch: 5).response == ApiError(.staleBrokerEpoch, "No broker registration found for broker 2"))
        let unfence = controller.unfenceBroker(1, brokerEpoch: 5)
        #expect(unfence.records.map(\.type) == [BrokerRegistrationChangeRecord.apiKey])
        try controller.commit(unfence)
        #expect(controller.image.brokers[1]?.fenced == false)
        #expect(controller.unfenceBroker(1, brokerEpoch: 5).records.isEmpty)
    }

    @Test func oldMetadataVersionsUseUnfenceRecords() throws {
        var controller = QuorumController()
        try controller.commit(controller.bootstrap(metadataVersion: MetadataVersion(featureLevel: 5)))
        let result = controller.registerBroker(spec, brokerEpoch: 5)
        #expect(result.records[0].version == 0)
        try controller.commit(result)
        let unfence = controller.unfenceBroker(1, brokerEpoch: 5)
        #expect(unfence.records.map(\.type) == [UnfenceBrokerRecord.apiKey])
    }

    @Test func registrationRefusals() throws {
        var controller = QuorumController()
        try controller.commit(controller.bootstrap())
        var old = spec
        old.supportedFeatures = [.init(name: "metadata.version", minVersion: 1, maxVersion: 14)]
        #expect(controller.registerBroker(old, brokerEpoch: 5).response.error == ApiError(
            .unsupportedVersion,
            "Unable to register because the broker does not support version 19 of metadata.version. It wants a version between 1 and 14, inclusive."))
        try controller.commit(controller.registerBroker(spec, brokerEpoch: 5))
        var other = spec
        other.incarnationId = KafkaUUID(mostSignificantBits: 2, leastSignificantBits: 2)
        #expect(controller.registerBroker(other, brokerEpoch: 9, previousSessionAlive: true).response.error.error == .duplicateBrokerRegistration)
        // A restart (new incarnation, old session gone) replaces the registration with a new epoch.
        try controller.commit(controller.registerBroker(other, brokerEpoch: 9))
        #expect(controller.image.brokers[1]?.epoch == 9 && controller.image.brokers[1]?.incarnationId == other.incarnationId)
    }

    @Test func fenceMovesLeadershipAndUnfenceRestoresIt() throws {
        var controller = try QuorumController.cluster(brokers: [1, 2])
        var rng = SeededRandom(seed: 31)
        try controller.commit(controller.createTopics([
            CreateTopicSpec(name: "two", assignments: [.init(partitionIndex: 0, brokerIds: [1, 2])]),
            CreateTopicSpec(name: "one", assignments: [.init(partitionIndex: 0, brokerIds: [1])]),
        ], validateOnly: false, using: &rng))
        try controller.commit(controller.fenceBroker(1, brokerEpoch: 11))
        let two = try #require(controller.image.topic(named: "two")?.partitions[0])
        #expect(two.leader == 2 && two.isr == [2] && two.leaderEpoch == 1)
        let one = try #require(controller.image.topic(named: "one")?.partitions[0])
        #expect(one.leader == -1 && one.isr == [1] && one.leaderEpoch == 1)
        try controller.commit(controller.unfenceBroker(1, brokerEpoch: 11))
        let back = try #require(controller.image.topic(named: "one")?.partitions[0])
        #expect(back.leader == 1 && back.leaderEpoch == 2 && back.partitionEpoch == 2)
    }

    @Test func producerIdBlocksAdvance() throws {
        var controller = try QuorumController.cluster()
        let first = controller.allocateProducerIds(brokerId: 1, brokerEpoch: 11)
        #expect(first.response == ProducerIdBlock(firstProducerId: 0, count: 1000))
        try controller.commit(first)
        #expect(controller.image.nextProducerId == 1000)
        let second = controller.allocateProducerIds(brokerId: 1, brokerEpoch: 11)
        #expect(second.response == ProducerIdBlock(firstProducerId: 1000, count: 1000))
        try controller.commit(second)
        #expect(controller.image.nextProducerId == 2000)
        let stale = controller.allocateProducerIds(brokerId: 1, brokerEpoch: 3)
        #expect(stale.records.isEmpty && stale.response.error == ApiError(.staleBrokerEpoch, "Expected broker epoch 11, but got broker epoch 3"))
    }
}
