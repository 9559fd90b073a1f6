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
    /// The metadata log's directory name and topic id (`Uuid.METADATA_TOPIC_ID`), as a combined node's log dir holds it.
    static let metadataTopic = "__cluster_metadata"
    static let metadataTopicId = KafkaUUID(mostSignificantBits: 0, leastSignificantBits: 1)

    /// An applier for node 1 over logs in a fresh directory.
    static func applier(_ dir: String) throws -> (PartitionApplier, LogManager, ReplicaManager, ReplicaFetchers) {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let config = try BrokerConfig.load(overrides: ["log.dirs=\(dir)"]).config
        let logs = try LogManager(configuration: .init(logDirs: [dir]), fileSystem: PosixFileSystem(), now: 0)
        let replicas = ReplicaManager(logs: logs, clock: { 0 }, logger: Logger(label: "test"))
        let fetchers = ReplicaFetchers(nodeId: 1, replicas: replicas, settings: config.replication, listenerName: "PLAINTEXT",
                                       group: MultiThreadedEventLoopGroup.singleton, requestTimeoutMs: 1000, clock: { 0 },
                                       logger: Logger(label: "test"))
        let applier = PartitionApplier(replicas: replicas, fetchers: fetchers, config: config, nodeId: 1, clock: { 0 }, logger: Logger(label: "test"))
        return (applier, logs, replicas, fetchers)
    }

    /// Node 1 registered and unfenced at metadata.version latest.
    static func oneBroker() throws -> QuorumController {
        var controller = QuorumController()
        try controller.replay(QuorumController.bootstrapRecords())
        let spec = BrokerRegistrationSpec(
            brokerId: 1, incarnationId: KafkaUUID(mostSignificantBits: 1, leastSignificantBits: 1), listeners: [],
            supportedFeatures: [.init(name: MetadataVersion.featureName, minVersion: 1, maxVersion: MetadataVersion.latestProduction.featureLevel)])
        var rng = SystemRandomNumberGenerator()
        try controller.replay(controller.execute(.registerBroker(spec, fenced: false), context: CommandContext(now: 0, nextOffset: 1), using: &rng).records)
        return controller
    }

    @Test func logsFollowTheDeltaAndARecreatedNameGetsAFreshLog() throws {
        let dir = NSTemporaryDirectory() + "tributary-applier-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (applier, logs, replicas, fetchers) = try Self.applier(dir)
        defer { fetchers.stop() }
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

    /// A committed metadata snapshot loaded in place of the image (KIP-630): a log whose topic id the snapshot lacks
    /// belongs to a topic deleted while this node was away and goes, even though the old image never had the topic;
    /// a name created again gets a fresh log; the metadata log's own directory stays. Without `fromSnapshot` (a
    /// single node's start-up load) nothing is deleted.
    @Test func aSnapshotDeletesTheLogsOfTopicsItDoesNotHold() throws {
        let dir = NSTemporaryDirectory() + "tributary-applier-snapshot-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (applier, logs, _, fetchers) = try Self.applier(dir)
        defer { fetchers.stop() }
        var rng = SystemRandomNumberGenerator()
        var controller = try Self.oneBroker()
        func run(_ command: ControllerCommand) throws {
            try controller.replay(controller.execute(command, context: CommandContext(now: 0, nextOffset: 2), using: &rng).records)
        }
        try run(.createTopics([CreateTopicSpec(name: "t", numPartitions: 1), CreateTopicSpec(name: "u", numPartitions: 1)], validateOnly: false))
        let before = controller.image
        applier.apply(MetadataDelta(from: MetadataImage(), to: before), initialLoad: true)
        _ = try logs.createLog(TopicPartition(Self.metadataTopic, 0), topicId: Self.metadataTopicId, now: 0)
        #expect(logs.partitions.map(\.topic).sorted() == [Self.metadataTopic, "t", "u"])
        // While away: "u" deleted, "t" deleted and created again.
        try run(.deleteTopics([.named("u"), .named("t")], apiVersion: 6))
        try run(.createTopics([CreateTopicSpec(name: "t", numPartitions: 1)], validateOnly: false))
        let snapshot = controller.image
        // Loaded whole but not from a snapshot: the logs stay.
        applier.apply(MetadataDelta(from: MetadataImage(), to: snapshot), initialLoad: true)
        #expect(logs.partitions.map(\.topic).sorted() == [Self.metadataTopic, "t", "u"])
        var delta = MetadataDelta(from: MetadataImage(), to: snapshot)
        delta.fromSnapshot = true
        applier.apply(delta)
        #expect(logs.partitions.map(\.topic).sorted() == [Self.metadataTopic, "t"])
        let id = try #require(try logs.log(TopicPartition("t", 0), now: 0)).withLog { $0.topicId }
        #expect(id == snapshot.topic(named: "t")?.id && id != before.topic(named: "t")?.id)
        try logs.close(brokerEpoch: 1, now: 0)
    }
}
