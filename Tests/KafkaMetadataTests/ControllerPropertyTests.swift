import KafkaMetadata
import KafkaProtocol
import Testing

/// Seeded random command sequences: after every committed step the image must satisfy the controller's
/// invariants, and successful responses must be what replay produced. A failure names its seed and step.
@Suite struct ControllerPropertyTests {
    static let seeds: [UInt64] = [1, 2, 3, 42, 1234, 0xDEAD_BEEF]
    static let steps = 200
    static let names = ["a", "b", "c.d", "c_d", "e-f", "g", "h", "i"]

    @Test(arguments: seeds) func randomCommandsKeepInvariants(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        var controller = try QuorumController.cluster(brokers: [1, 2, 3, 4])
        var changes = 0
        for step in 0..<Self.steps {
            let context = "seed \(seed) step \(step)"
            let before = controller.image.recordsReplayed
            try runRandomCommand(&controller, &rng, context: context)
            if controller.image.recordsReplayed > before { changes += 1 }
            checkInvariants(controller.image, context: context)
        }
        // The sequence must do things, not only collect errors.
        #expect(changes > Self.steps / 8, "seed \(seed): only \(changes) steps changed the image")
    }

    func runRandomCommand(_ controller: inout QuorumController, _ rng: inout SeededRandom, context: String) throws {
        let name = Self.names.randomElement(using: &rng)!
        switch rng.next(upperBound: 10 as UInt64) {
        case 0...2:
            var spec = CreateTopicSpec(
                name: name, numPartitions: Int32(rng.next(upperBound: 5 as UInt64)) + (rng.next(upperBound: 8 as UInt64) == 0 ? -1 : 0),
                replicationFactor: Int16(rng.next(upperBound: 5 as UInt64)))
            if rng.next(upperBound: 4 as UInt64) == 0 {
                let brokers: [Int32] = [1, 2, 3, 4, 5]
                spec.numPartitions = -1
                spec.replicationFactor = -1
                spec.assignments = (0..<Int32(rng.next(upperBound: 3 as UInt64) + 1)).map { i in
                    .init(partitionIndex: i, brokerIds: Array(brokers.shuffled(using: &rng).prefix(2)))
                }
            }
            if rng.next(upperBound: 3 as UInt64) == 0 { spec.configs = [.init(name: "retention.ms", value: String(rng.next() % 1000))] }
            let result = controller.createTopics([spec], validateOnly: rng.next(upperBound: 6 as UInt64) == 0, using: &rng)
            try controller.commit(result)
            let r = result.response[0]
            if r.error.isSuccess && !result.records.isEmpty {
                let topic = controller.image.topic(named: name)
                #expect(topic?.id == r.topicId, "\(context)")
                #expect(topic.map { Int32($0.partitions.count) } == r.numPartitions, "\(context)")
                #expect(topic.map { Int16($0.replicationFactor) } == r.replicationFactor, "\(context)")
            }
        case 3...4:
            let byId = rng.next(upperBound: 2 as UInt64) == 0
            let spec: DeleteTopicSpec = byId
                ? .id(controller.image.topic(named: name)?.id ?? KafkaUUID(mostSignificantBits: 1, leastSignificantBits: 2))
                : .named(name)
            let result = controller.deleteTopics([spec])
            try controller.commit(result)
            if result.response[0].error.isSuccess { #expect(controller.image.topic(named: name) == nil, "\(context)") }
        case 5...6:
            let before = controller.image.topic(named: name)?.partitions.count ?? 0
            let count = Int32(before) + Int32(rng.next(upperBound: 4 as UInt64)) - 1
            let result = controller.createPartitions([CreatePartitionsSpec(name: name, count: count)], validateOnly: false, using: &rng)
            try controller.commit(result)
            if result.response[0].error.isSuccess {
                #expect(controller.image.topic(named: name)?.partitions.count == Int(count), "\(context)")
            }
        case 7...8:
            let op = ConfigChange.Operation(rawValue: Int8(rng.next(upperBound: 2 as UInt64)))!
            let result = controller.incrementalAlterConfigs([IncrementalAlterConfigsSpec(
                resource: .topic(name), changes: [ConfigChange(name: "segment.ms", operation: op, value: op == .set ? "7" : nil)])],
                validateOnly: false)
            try controller.commit(result)
            if result.response[0].error.isSuccess {
                #expect(controller.image.topicConfigs(name)["segment.ms"] == (op == .set ? "7" : nil), "\(context)")
            }
        default:
            // Fence or unfence a broker, moving leaders around.
            let id = Int32(rng.next(upperBound: 4 as UInt64)) + 1
            let epoch = controller.image.brokers[id]!.epoch
            if controller.image.brokers[id]!.fenced {
                try controller.commit(controller.unfenceBroker(id, brokerEpoch: epoch))
            } else {
                try controller.commit(controller.fenceBroker(id, brokerEpoch: epoch))
            }
        }
    }

    func checkInvariants(_ image: MetadataImage, context: String) {
        #expect(image.topicsById.count == image.topicIdsByName.count, "\(context): ids and names differ in number")
        for (name, id) in image.topicIdsByName {
            #expect(image.topicsById[id]?.name == name, "\(context): name index of \(name) is stale")
        }
        for (id, topic) in image.topicsById {
            #expect(topic.id == id, "\(context)")
            #expect(!topic.partitions.isEmpty, "\(context): \(topic.name) has no partitions")
            #expect(topic.partitions.keys.sorted() == Array(0..<Int32(topic.partitions.count)), "\(context): \(topic.name) partition indexes")
            for p in topic.partitions.values {
                #expect(!p.replicas.isEmpty && Set(p.replicas).count == p.replicas.count, "\(context): \(topic.name)-\(p.partitionId) replicas \(p.replicas)")
                #expect(p.replicas.allSatisfy { image.brokers[$0] != nil }, "\(context): \(topic.name)-\(p.partitionId) unregistered replica")
                #expect(!p.isr.isEmpty && Set(p.isr).isSubset(of: p.replicas), "\(context): \(topic.name)-\(p.partitionId) isr \(p.isr)")
                #expect(p.leader == -1 || p.isr.contains(p.leader), "\(context): \(topic.name)-\(p.partitionId) leader \(p.leader)")
                if p.leader != -1 { #expect(image.brokers[p.leader]?.fenced == false, "\(context): fenced leader") }
                #expect(p.directories.count == p.replicas.count, "\(context)")
            }
        }
        for resource in image.configs.keys where resource.type == .topic {
            #expect(image.topicIdsByName[resource.name] != nil, "\(context): configs of missing topic \(resource.name)")
        }
    }
}
