import KafkaMetadata
import KafkaProtocol
import Testing

/// MetadataDelta: what a commit changed, and what that means to one broker.
@Suite struct MetadataDeltaTests {
    /// Commits `result` and returns the delta of its records.
    static func commit<R>(_ controller: inout QuorumController, _ result: ControllerResult<R>) throws -> MetadataDelta {
        let before = controller.image
        try controller.replay(result.records)
        return MetadataDelta(previous: before, image: controller.image, records: result.records)
    }

    @Test func createFenceAndDeleteAsEachBrokerSeesThem() throws {
        var controller = try QuorumController.cluster(brokers: [1, 2, 3])
        var rng = SeededRandom(seed: 5)
        let created = try Self.commit(&controller, controller.createTopics([CreateTopicSpec(name: "t", assignments: [
            .init(partitionIndex: 0, brokerIds: [1, 2]), .init(partitionIndex: 1, brokerIds: [2, 1]),
            .init(partitionIndex: 2, brokerIds: [2, 3]),
        ])], validateOnly: false, using: &rng))
        let id = try #require(controller.image.topic(named: "t")?.id)
        #expect(created.createdTopics == [.init(id: id, name: "t")] && created.deletedTopics.isEmpty)
        #expect(created.partitionChanges.map(\.partitionId) == [0, 1, 2])
        #expect(created.partitionChanges.allSatisfy { $0.previous == nil && $0.current != nil })
        #expect(created.localChanges(of: 1).map(\.change) == [.becameLeader, .becameFollower])
        #expect(created.localChanges(of: 2).map(\.change) == [.becameFollower, .becameLeader, .becameLeader])
        #expect(created.localChanges(of: 3).map(\.change) == [.becameFollower])
        #expect(created.localChanges(of: 4).isEmpty)

        // Broker 1 fenced: it leaves partition 0's leadership and both ISRs.
        let fenced = try Self.commit(&controller, controller.fenceBroker(1, brokerEpoch: 11))
        #expect(fenced.changedBrokers == [1])
        let p0 = try #require(fenced.partitionChanges.first { $0.partitionId == 0 }?.current)
        #expect(p0.leader == 2 && p0.leaderEpoch == 1 && p0.isr == [2] && p0.replicas == [1, 2])
        #expect(fenced.localChanges(of: 1).map(\.change) == [.becameFollower, .followerUpdated])
        #expect(fenced.localChanges(of: 2).map(\.change) == [.becameLeader, .leaderUpdated])
        #expect(fenced.partitionChanges.count == 2)  // partition 2 never had broker 1
        #expect(fenced.localChanges(of: 3).isEmpty)

        let deleted = try Self.commit(&controller, controller.deleteTopics(names: ["t"]))
        #expect(deleted.deletedTopics == [.init(id: id, name: "t")])
        #expect(deleted.localChanges(of: 2).map(\.change) == [.noLongerReplica, .noLongerReplica, .noLongerReplica])
        #expect(deleted.partitionChanges.allSatisfy { $0.current == nil && $0.topicName == "t" })
    }

    @Test func configChangesAreNamedOnlyWhenTheValueChanges() throws {
        var controller = try QuorumController.cluster(brokers: [1])
        var rng = SeededRandom(seed: 6)
        _ = try Self.commit(&controller, controller.createTopics([CreateTopicSpec(name: "c", numPartitions: 1)], validateOnly: false, using: &rng))
        let set = try Self.commit(&controller, controller.incrementalAlterConfigs([IncrementalAlterConfigsSpec(
            resource: .topic("c"), changes: [ConfigChange(name: "cleanup.policy", operation: .set, value: "compact")])], validateOnly: false))
        #expect(set.changedTopicConfigs == ["c": ["cleanup.policy"]] && set.partitionChanges.isEmpty)
        // A record that writes the value the image already has changes nothing.
        var same = ConfigRecord()
        same.resourceType = ConfigResource.ResourceType.topic.rawValue
        same.resourceName = "c"
        same.name = "cleanup.policy"
        same.value = "compact"
        let unchanged = try MetadataDelta(previous: controller.image, records: [.config(same, version: 0)])
        #expect(unchanged.isEmpty)
    }

    @Test func aNameDeletedAndCreatedAgainInOneCommitIsTwoTopics() throws {
        var controller = try QuorumController.cluster(brokers: [1])
        var rng = SeededRandom(seed: 7)
        _ = try Self.commit(&controller, controller.createTopics([CreateTopicSpec(name: "r", numPartitions: 1)], validateOnly: false, using: &rng))
        let old = try #require(controller.image.topic(named: "r")?.id)
        // One append holding both commands, the second run against the first's records, as the driver batches.
        var next = controller
        let delete = next.deleteTopics(names: ["r"])
        try next.replay(delete.records)
        let create = next.createTopics([CreateTopicSpec(name: "r", numPartitions: 1)], validateOnly: false, using: &rng)
        let delta = try MetadataDelta(previous: controller.image, records: delete.records + create.records)
        let new = try #require(delta.image.topic(named: "r")?.id)
        #expect(delta.deletedTopics == [.init(id: old, name: "r")] && delta.createdTopics == [.init(id: new, name: "r")])
        #expect(Set(delta.localChanges(of: 1).map { "\($0.partition.topicId == old ? "old" : "new") \($0.change)" })
                == ["old noLongerReplica", "new becameLeader"])
    }

    /// Random batches of commands, committed as the driver commits them: the delta computed from the records
    /// must equal the one found by comparing the whole images, and name nothing that did not change.
    @Test(arguments: [21, 22, 23, 24, 25] as [UInt64])
    func recordDeltaEqualsFullComparison(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        var controller = try QuorumController.cluster(brokers: [1, 2, 3])
        let names = ["a", "b", "c", "d"]
        var nonEmpty = 0
        for step in 0..<150 {
            var next = controller
            var records: [MetadataRecord] = []
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let name = names.randomElement(using: &rng)!
                let broker = Int32.random(in: 1...3, using: &rng)
                let epoch = 10 + Int64(broker)
                let command: ControllerCommand = switch Int.random(in: 0..<6, using: &rng) {
                case 0: .createTopics([CreateTopicSpec(name: name, numPartitions: Int32.random(in: 1...4, using: &rng),
                                                       replicationFactor: Int16.random(in: 1...3, using: &rng))], validateOnly: false)
                case 1: .deleteTopics([.named(name)], apiVersion: 6)
                case 2: .createPartitions([CreatePartitionsSpec(name: name, count: Int32.random(in: 1...6, using: &rng))], validateOnly: false)
                case 3: .incrementalAlterConfigs([IncrementalAlterConfigsSpec(resource: .topic(name), changes: [
                    ConfigChange(name: "retention.ms", operation: .set, value: String(Int.random(in: 1...3, using: &rng)))])], validateOnly: false)
                case 4: .brokerHeartbeat(BrokerHeartbeatSpec(brokerId: broker, brokerEpoch: epoch, currentMetadataOffset: 1 << 40, wantFence: true))
                default: .brokerHeartbeat(BrokerHeartbeatSpec(brokerId: broker, brokerEpoch: epoch, currentMetadataOffset: 1 << 40))
                }
                let result = next.execute(command, context: CommandContext(now: Int64(step), nextOffset: 0), using: &rng)
                try next.replay(result.records)
                records += result.records
            }
            let delta = MetadataDelta(previous: controller.image, image: next.image, records: records)
            let full = MetadataDelta(from: controller.image, to: next.image)
            let context = "seed \(seed) step \(step)"
            #expect(delta.createdTopics == full.createdTopics, "\(context)")
            #expect(delta.deletedTopics == full.deletedTopics, "\(context)")
            #expect(delta.partitionChanges == full.partitionChanges, "\(context)")
            #expect(delta.changedTopicConfigs == full.changedTopicConfigs, "\(context)")
            #expect(delta.changedBrokers.isSuperset(of: full.changedBrokers), "\(context)")
            for change in delta.partitionChanges {
                #expect(change.previous != change.current, "\(context)")
                #expect(next.image.topic(id: change.topicId)?.partitions[change.partitionId] == change.current, "\(context)")
            }
            if !delta.partitionChanges.isEmpty { nonEmpty += 1 }
            controller = next
        }
        #expect(nonEmpty > 30, "seed \(seed): only \(nonEmpty) commits changed partitions")
    }
}
