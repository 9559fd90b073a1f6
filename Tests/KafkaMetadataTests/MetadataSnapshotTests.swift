import Foundation
import KafkaMetadata
import KafkaProtocol
import NIOCore
import Testing

/// Snapshots of the controller's state (KIP-630): for seeded random controller histories, the image written out as
/// snapshot records (through their bytes) and replayed into an empty controller is the same image, and answers
/// later commands the same. A failure names its seed and step; `SNAPSHOT_SEEDS=a,b` replays chosen seeds.
@Suite struct MetadataSnapshotTests {
    static let seeds: [UInt64] = {
        if let list = ProcessInfo.processInfo.environment["SNAPSHOT_SEEDS"] {
            return list.split(separator: ",").compactMap { UInt64($0) }
        }
        return Array(1...40)
    }()

    @Test(arguments: seeds) func snapshotReplaysIntoAnEqualController(seed: UInt64) throws {
        print("[snapshot-test] seed \(seed)")
        var rng = SeededRandom(seed: seed)
        var controller = try QuorumController.cluster(brokers: [1, 2, 3, 4])
        let history = 20 + Int(rng.next(upperBound: 120 as UInt64))
        for step in 0..<history {
            try Self.randomStep(&controller, &rng, context: "seed \(seed) step \(step)")
        }
        let records = try Self.throughBytes(controller.image.snapshotRecords())
        var loaded = QuorumController()
        try loaded.load(snapshot: records)
        Self.expectSameState(loaded.image, controller.image, "seed \(seed) after \(history) steps")

        // Later commands get the same records and replies from both.
        var rngA = SeededRandom(seed: seed ^ 0x5A5A), rngB = rngA
        for step in 0..<60 {
            let command = Self.randomCommand(controller.image, &rngA)
            _ = Self.randomCommand(loaded.image, &rngB)
            let context = CommandContext(now: 1_000 + Int64(step), nextOffset: 10_000 + Int64(step))
            var useA = SeededRandom(seed: seed &+ UInt64(step)), useB = useA
            let a = controller.execute(command, context: context, using: &useA)
            let b = loaded.execute(command, context: context, using: &useB)
            #expect(a.records == b.records, "seed \(seed) later step \(step): \(command)")
            #expect(String(describing: a.response) == String(describing: b.response), "seed \(seed) later step \(step)")
            try controller.replay(a.records)
            try loaded.replay(b.records)
        }
        Self.expectSameState(loaded.image, controller.image, "seed \(seed) after later commands")
    }

    /// A snapshot taken of a loaded image is the same records again (the format is a fixed point).
    @Test func snapshotOfALoadedImageIsTheSameRecords() throws {
        var rng = SeededRandom(seed: 7)
        var controller = try QuorumController.cluster(brokers: [1, 2, 3])
        for step in 0..<80 { try Self.randomStep(&controller, &rng, context: "step \(step)") }
        let records = controller.image.snapshotRecords()
        var loaded = QuorumController()
        try loaded.load(snapshot: records)
        #expect(loaded.image.snapshotRecords() == records)
        #expect(records.first?.type == FeatureLevelRecord.apiKey)
        #expect(loaded.image.recordsReplayed > 0)
    }

    /// Loading replaces the state: what the old image had and the snapshot does not is gone, and the change
    /// counter still grows.
    @Test func loadingReplacesTheWholeState() throws {
        var controller = try QuorumController.cluster(brokers: [1, 2])
        var rng = SeededRandom(seed: 3)
        try controller.commit(controller.createTopics([CreateTopicSpec(name: "kept", numPartitions: 2, replicationFactor: 2)],
                                                      validateOnly: false, using: &rng))
        let snapshot = controller.image.snapshotRecords()
        try controller.commit(controller.createTopics([CreateTopicSpec(name: "later", numPartitions: 1, replicationFactor: 1)],
                                                      validateOnly: false, using: &rng))
        let before = controller.image.recordsReplayed
        try controller.load(snapshot: snapshot)
        #expect(controller.image.topic(named: "later") == nil)
        #expect(controller.image.topic(named: "kept")?.partitions.count == 2)
        #expect(controller.image.recordsReplayed > before)
    }

    // MARK: - Helpers

    /// One random controller step, committed at once: the property test's commands plus broker registrations and
    /// re-registrations, producer id blocks, broker configs and ISR changes.
    static func randomStep(_ c: inout QuorumController, _ rng: inout SeededRandom, context: String) throws {
        switch rng.next(upperBound: 14 as UInt64) {
        case 0..<9:
            try ControllerPropertyTests().runRandomCommand(&c, &rng, context: context)
        case 9:
            let id = Int32(rng.next(upperBound: 5 as UInt64)) + 1
            let spec = BrokerRegistrationSpec(
                brokerId: id, incarnationId: KafkaUUID(mostSignificantBits: rng.next(), leastSignificantBits: rng.next()),
                listeners: [.init(name: "PLAINTEXT", host: "h\(id)", port: UInt16(9000 + id), securityProtocol: 0)],
                supportedFeatures: [.init(name: "metadata.version", minVersion: 1, maxVersion: 19)],
                rack: rng.next(upperBound: 2 as UInt64) == 0 ? nil : "rack-\(id % 2)",
                logDirectories: [KafkaUUID(mostSignificantBits: 0xD2, leastSignificantBits: rng.next())])
            let epoch = (c.image.brokers.values.map(\.epoch).max() ?? 0) + 1
            try c.commit(c.registerBroker(spec, brokerEpoch: epoch, fenced: rng.next(upperBound: 2 as UInt64) == 0))
        case 10:
            if let broker = c.image.brokers.values.sorted(by: { $0.id < $1.id }).randomElement(using: &rng) {
                try c.commit(c.allocateProducerIds(brokerId: broker.id, brokerEpoch: broker.epoch))
            }
        case 11:
            let resource: ConfigResource = rng.next(upperBound: 2 as UInt64) == 0 ? .brokerDefault : .broker(1)
            let op = ConfigChange.Operation(rawValue: Int8(rng.next(upperBound: 2 as UInt64)))!
            try c.commit(c.incrementalAlterConfigs([IncrementalAlterConfigsSpec(
                resource: resource,
                changes: [ConfigChange(name: "log.retention.ms", operation: op, value: op == .set ? "\(rng.next() % 999)" : nil)])],
                validateOnly: false))
        default:
            try c.replay(shrinkSomeIsr(c.image, &rng))
        }
    }

    /// A leader drops one follower from its ISR (AlterPartition), so partition epochs and ISRs vary.
    static func shrinkSomeIsr(_ image: MetadataImage, _ rng: inout SeededRandom) -> [MetadataRecord] {
        let candidates = image.topicsByName.flatMap { t in t.sortedPartitions.filter { $0.leader >= 0 && $0.isr.count > 1 }.map { (t, $0) } }
        guard let (topic, p) = candidates.randomElement(using: &rng), let leader = image.brokers[p.leader],
              let dropped = p.isr.first(where: { $0 != p.leader }) else { return [] }
        let spec = AlterPartitionSpec(brokerId: p.leader, brokerEpoch: leader.epoch, topics: [
            .init(topic: .id(topic.id), partitions: [.init(
                partitionIndex: p.partitionId, leaderEpoch: p.leaderEpoch,
                newIsrWithEpochs: p.isr.filter { $0 != dropped }.map { .init(brokerId: $0) }, partitionEpoch: p.partitionEpoch)]),
        ])
        return QuorumController(image: image).alterPartition(spec).records
    }

    /// A command for the "later commands" phase.
    static func randomCommand(_ image: MetadataImage, _ rng: inout SeededRandom) -> ControllerCommand {
        let name = ControllerPropertyTests.names.randomElement(using: &rng)!
        let brokers = image.brokers.values.sorted { $0.id < $1.id }
        switch rng.next(upperBound: 7 as UInt64) {
        case 0: return .createTopics([CreateTopicSpec(name: name, numPartitions: Int32(rng.next(upperBound: 4 as UInt64)) + 1,
                                                      replicationFactor: Int16(rng.next(upperBound: 3 as UInt64)) + 1)], validateOnly: false)
        case 1: return .deleteTopics([.named(name)], apiVersion: 6)
        case 2: return .createPartitions([CreatePartitionsSpec(name: name, count: Int32(rng.next(upperBound: 6 as UInt64)) + 1)], validateOnly: false)
        case 3:
            let b = brokers.randomElement(using: &rng)!
            return .allocateProducerIds(brokerId: b.id, brokerEpoch: b.epoch)
        case 4:
            let b = brokers.randomElement(using: &rng)!
            return .brokerHeartbeat(BrokerHeartbeatSpec(brokerId: b.id, brokerEpoch: b.epoch, currentMetadataOffset: 1 << 40,
                                                        wantFence: rng.next(upperBound: 3 as UInt64) == 0))
        case 5: return .electLeaders(ElectLeadersSpec(electionType: 0, topics: nil))
        default:
            return .incrementalAlterConfigs([IncrementalAlterConfigsSpec(
                resource: .topic(name), changes: [ConfigChange(name: "retention.ms", operation: .set, value: "\(rng.next() % 50)")])],
                validateOnly: false)
        }
    }

    /// The records written to bytes and read back, as a `.checkpoint` stores them.
    static func throughBytes(_ records: [MetadataRecord]) throws -> [MetadataRecord] {
        try records.map { try MetadataRecord.decode(try $0.encoded()) }
    }

    /// Every piece of state the image holds, except `recordsReplayed` (a change counter). `producerIdBroker: false`
    /// leaves out the broker of the last producer id block, which Kafka's snapshots write as -1.
    static func expectSameState(_ a: MetadataImage, _ b: MetadataImage, _ context: String, producerIdBroker: Bool = true) {
        #expect(a.features == b.features, "\(context): features")
        #expect(a.brokers == b.brokers, "\(context): brokers")
        #expect(a.topicsById == b.topicsById, "\(context): topics")
        #expect(a.topicIdsByName == b.topicIdsByName, "\(context): topic names")
        #expect(a.configs == b.configs, "\(context): configs")
        #expect(a.nextProducerId == b.nextProducerId, "\(context): next producer id")
        if producerIdBroker { #expect(a.lastProducerIdBlockBroker == b.lastProducerIdBlockBroker, "\(context): producer id broker") }
    }
}
