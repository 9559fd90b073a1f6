import Foundation
import KafkaMetadata
import KafkaProtocol
import KafkaStorage
import Logging
import NIOPosix
import Testing

@testable import KafkaServer

/// The partition logs follow the commits' deltas: created for this node's replicas, deleted with their topic.
@Suite struct PartitionApplierTests {
    @Test func logsFollowTheDeltaAndARecreatedNameGetsAFreshLog() throws {
        let dir = NSTemporaryDirectory() + "tributary-applier-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = try BrokerConfig.load(overrides: ["log.dirs=\(dir)"]).config
        let logs = try LogManager(configuration: .init(logDirs: [dir]), fileSystem: PosixFileSystem(), now: 0)
        let replicas = ReplicaManager(logs: logs, clock: { 0 }, logger: Logger(label: "test"))
        let fetchers = ReplicaFetchers(nodeId: 1, replicas: replicas, settings: config.replication, listenerName: "PLAINTEXT",
                                       group: MultiThreadedEventLoopGroup.singleton, requestTimeoutMs: 1000, clock: { 0 },
                                       logger: Logger(label: "test"))
        defer { fetchers.stop() }
        let applier = PartitionApplier(replicas: replicas, fetchers: fetchers, config: config, nodeId: 1, clock: { 0 }, logger: Logger(label: "test"))
        var controller = QuorumController()
        var rng = SystemRandomNumberGenerator()
        func commit(_ commands: [ControllerCommand]) throws {
            var next = controller
            var records: [MetadataRecord] = []
            for command in commands {
                let r = next.execute(command, context: CommandContext(now: 0, nextOffset: 1), using: &rng)
                try next.replay(r.records)
                records += r.records
            }
            applier.apply(MetadataDelta(previous: controller.image, image: next.image, records: records))
            controller = next
        }
        try controller.replay(QuorumController.bootstrapRecords())
        let spec = BrokerRegistrationSpec(
            brokerId: 1, incarnationId: KafkaUUID(mostSignificantBits: 1, leastSignificantBits: 1), listeners: [],
            supportedFeatures: [.init(name: MetadataVersion.featureName, minVersion: 1, maxVersion: MetadataVersion.latestProduction.featureLevel)])
        try commit([.registerBroker(spec, fenced: false)])
        try commit([.createTopics([CreateTopicSpec(name: "t", numPartitions: 2), CreateTopicSpec(name: "u", numPartitions: 1)], validateOnly: false)])
        #expect(logs.partitions == [TopicPartition("t", 0), TopicPartition("t", 1), TopicPartition("u", 0)])
        // The only replica leads each partition at the epoch the metadata gives, recorded in the log's epochs.
        #expect(Set(replicas.roles.ledPartitions) == Set(logs.partitions))
        let epoch = try #require(try logs.log(TopicPartition("u", 0), now: 0)).withLog { $0.leaderEpochs.latestEpoch }
        #expect(epoch == controller.image.topic(named: "u")?.partitions[0]?.leaderEpoch)
        let old = try #require(controller.image.topic(named: "t")?.id)
        // Deleted and created again in one commit: the old logs go, new ones (with the new topic id) come.
        try commit([.deleteTopics([.named("t")], apiVersion: 6), .createTopics([CreateTopicSpec(name: "t", numPartitions: 1)], validateOnly: false)])
        let new = try #require(controller.image.topic(named: "t")?.id)
        #expect(new != old)
        #expect(logs.partitions == [TopicPartition("t", 0), TopicPartition("u", 0)])
        let id = try #require(try logs.log(TopicPartition("t", 0), now: 0)).withLog { $0.topicId }
        #expect(id == new)
        // A commit that does not name "u" leaves its log alone; deleting it removes it.
        try commit([.createPartitions([CreatePartitionsSpec(name: "t", count: 2)], validateOnly: false)])
        #expect(logs.partitions == [TopicPartition("t", 0), TopicPartition("t", 1), TopicPartition("u", 0)])
        try commit([.deleteTopics([.named("u")], apiVersion: 6)])
        #expect(logs.partitions == [TopicPartition("t", 0), TopicPartition("t", 1)])
        #expect(replicas.roles.role(TopicPartition("u", 0)) == nil)
        try logs.close(brokerEpoch: 1, now: 0)
    }
}
