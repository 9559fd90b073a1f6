import KafkaMetadata
import KafkaProtocol
import NIOCore
import Testing

@Suite struct MetadataRecordCodecTests {
    static let topicId = KafkaUUID(mostSignificantBits: 0x0123_4567_89AB_CDEF, leastSignificantBits: 42)

    static var samples: [MetadataRecord] {
        var topic = TopicRecord()
        topic.name = "orders"
        topic.topicId = topicId
        var partition = PartitionRecord()
        partition.partitionId = 2
        partition.topicId = topicId
        partition.replicas = [1, 2]
        partition.isr = [1]
        partition.leader = 1
        partition.leaderEpoch = 3
        partition.partitionEpoch = 4
        partition.directories = [.zero, KafkaUUID(mostSignificantBits: 1, leastSignificantBits: 2)]
        var change = PartitionChangeRecord()
        change.topicId = topicId
        change.partitionId = 2
        change.isr = [1, 2]
        var config = ConfigRecord()
        config.resourceType = 2
        config.resourceName = "orders"
        config.name = "cleanup.policy"
        config.value = nil
        var register = RegisterBrokerRecord()
        register.brokerId = 3
        register.brokerEpoch = 99
        register.rack = nil
        register.logDirs = [topicId]
        var producerIds = ProducerIdsRecord()
        producerIds.brokerId = 3
        producerIds.brokerEpoch = 99
        producerIds.nextProducerId = 2000
        var feature = FeatureLevelRecord()
        feature.name = "metadata.version"
        feature.featureLevel = 19
        var remove = RemoveTopicRecord()
        remove.topicId = topicId
        var unregister = UnregisterBrokerRecord()
        unregister.brokerId = 3
        var fence = FenceBrokerRecord()
        fence.id = 3
        var unfence = UnfenceBrokerRecord()
        unfence.id = 3
        var registrationChange = BrokerRegistrationChangeRecord()
        registrationChange.brokerId = 3
        registrationChange.fenced = -1
        return [
            .topic(topic), .partition(partition, version: 1), .partitionChange(change, version: 1), .config(config),
            .registerBroker(register, version: 3), .producerIds(producerIds), .featureLevel(feature),
            .removeTopic(remove), .unregisterBroker(unregister), .fenceBroker(fence), .unfenceBroker(unfence),
            .brokerRegistrationChange(registrationChange, version: 2), .noOp(NoOpRecord()),
            .other(type: 21, version: 0, body: ByteBuffer(bytes: [0, 0])),
        ]
    }

    @Test(arguments: samples) func roundTrips(_ record: MetadataRecord) throws {
        let bytes = try record.encoded()
        #expect(try MetadataRecord.decode(bytes) == record)
    }

    @Test func framingIsFrameVersionTypeVersionBody() throws {
        var feature = FeatureLevelRecord()
        feature.name = "x"
        feature.featureLevel = 7
        let bytes = try MetadataRecord.featureLevel(feature).encoded()
        // 1 (frame version), 12 (FeatureLevelRecord), 0 (version), compact string "x", int16 7, no tagged fields.
        #expect(Array(bytes.readableBytesView) == [1, 12, 0, 2, 0x78, 0, 7, 0])
    }

    @Test func rejectsUnknownFrameVersionAndTrailingBytes() {
        #expect(throws: ProtocolError.self) { try MetadataRecord.decode(ByteBuffer(bytes: [2, 20, 0, 0])) }
        #expect(throws: ProtocolError.self) { try MetadataRecord.decode(ByteBuffer(bytes: [1, 20, 0, 0, 9])) }
        #expect(throws: ProtocolError.self) { try MetadataRecord.decode(ByteBuffer(bytes: [1, 2])) }
    }

    @Test func unknownTypesStayRaw() throws {
        let bytes = ByteBuffer(bytes: [1, 0x7F, 3, 0xAA, 0xBB])
        let record = try MetadataRecord.decode(bytes)
        #expect(record == .other(type: 127, version: 3, body: ByteBuffer(bytes: [0xAA, 0xBB])))
        #expect(try record.encoded() == bytes)
    }
}
