import KafkaMetadata
import KafkaProtocol
import Testing

@Suite struct CreateTopicsTests {
    @Test func createsTopicAndReplayMatchesResponse() throws {
        var controller = try QuorumController.cluster(brokers: [1, 2, 3])
        var rng = SeededRandom(seed: 1)
        let result = controller.createTopics(
            [CreateTopicSpec(name: "orders", numPartitions: 4, replicationFactor: 2,
                             configs: [.init(name: "retention.ms", value: "1000")])],
            validateOnly: false, using: &rng)
        let response = try #require(result.response.first)
        #expect(response.error == .none)
        #expect(response.numPartitions == 4 && response.replicationFactor == 2)
        #expect(response.configs == [.init(name: "retention.ms", value: "1000", source: .dynamicTopicConfig)])
        #expect(result.records.map(\.type) == [2, 4, 3, 3, 3, 3])
        #expect(controller.image.topic(named: "orders") == nil, "nothing changes before replay")
        try controller.commit(result)
        let topic = try #require(controller.image.topic(named: "orders"))
        #expect(topic.id == response.topicId)
        #expect(topic.partitions.count == 4)
        for p in topic.partitions.values {
            #expect(p.replicas.count == 2 && Set(p.replicas).count == 2)
            #expect(p.isr == p.replicas && p.leader == p.replicas[0])
            #expect(p.leaderEpoch == 0 && p.partitionEpoch == 0)
            #expect(p.directories == p.replicas.map { controller.image.brokers[$0]!.logDirectories[0] })
        }
        // Leaders rotate over the brokers.
        #expect(Set(topic.partitions.values.map(\.leader)) == [1, 2, 3])
        #expect(controller.image.topicConfigs("orders") == ["retention.ms": "1000"])
    }

    @Test func defaultsApplyAndDefaultConfigsAreReported() throws {
        let schema = ConfigSchema(
            validate: { _, _, _ in nil }, isList: { _, _ in false },
            defaults: { _ in ["cleanup.policy": "delete", "retention.ms": "604800000"] })
        var controller = try QuorumController.cluster(
            configuration: ControllerConfiguration(defaultNumPartitions: 3, configSchema: schema))
        var rng = SeededRandom(seed: 2)
        let result = controller.createTopics(
            [CreateTopicSpec(name: "t", configs: [.init(name: "retention.ms", value: "5")])], validateOnly: false, using: &rng)
        let r = result.response[0]
        #expect(r.numPartitions == 3 && r.replicationFactor == 1)
        #expect(r.configs == [
            .init(name: "cleanup.policy", value: "delete", source: .defaultConfig),
            .init(name: "retention.ms", value: "5", source: .dynamicTopicConfig),
        ])
        try controller.commit(result)
        #expect(controller.image.topic(named: "t")?.partitions.count == 3)
    }

    @Test func validateOnlyWritesNothing() throws {
        let controller = try QuorumController.cluster()
        var rng = SeededRandom(seed: 3)
        let result = controller.createTopics([CreateTopicSpec(name: "t", numPartitions: 2)], validateOnly: true, using: &rng)
        #expect(result.records.isEmpty)
        #expect(result.response[0].error == .none && result.response[0].numPartitions == 2)
    }

    func error(_ spec: CreateTopicSpec, brokers: [Int32] = [1], configuration: ControllerConfiguration = .init()) throws -> ApiError {
        var controller = try QuorumController.cluster(brokers: brokers, configuration: configuration)
        var rng = SeededRandom(seed: 4)
        try controller.commit(controller.createTopics([CreateTopicSpec(name: "existing.topic")], validateOnly: false, using: &rng))
        let result = controller.createTopics([spec], validateOnly: false, using: &rng)
        #expect(result.response.count == 1)
        if result.response[0].error.isFailure {
            #expect(result.records.isEmpty)
            #expect(result.response[0].numPartitions == -1 && result.response[0].topicId == .zero)
        }
        return result.response[0].error
    }

    @Test func nameErrors() throws {
        #expect(try error(CreateTopicSpec(name: "")) == ApiError(.invalidTopicException, "Topic name is illegal, it can't be empty"))
        #expect(try error(CreateTopicSpec(name: "..")) == ApiError(.invalidTopicException, "Topic name cannot be \".\" or \"..\""))
        #expect(try error(CreateTopicSpec(name: "a b")).error == .invalidTopicException)
        #expect(try error(CreateTopicSpec(name: String(repeating: "x", count: 249))) == .none)
        #expect(try error(CreateTopicSpec(name: String(repeating: "x", count: 250))).error == .invalidTopicException)
        #expect(try error(CreateTopicSpec(name: "existing.topic")) == ApiError(.topicAlreadyExists, "Topic 'existing.topic' already exists."))
        #expect(try error(CreateTopicSpec(name: "existing_topic")) == ApiError(
            .invalidTopicException, "Topic 'existing_topic' collides with existing topic: existing.topic"))
    }

    @Test func partitionAndReplicationErrors() throws {
        #expect(try error(CreateTopicSpec(name: "t", numPartitions: 0)) == ApiError(
            .invalidPartitions, "Number of partitions was set to an invalid non-positive value."))
        #expect(try error(CreateTopicSpec(name: "t", numPartitions: -5)).error == .invalidPartitions)
        #expect(try error(CreateTopicSpec(name: "t", replicationFactor: 0)).error == .invalidReplicationFactor)
        #expect(try error(CreateTopicSpec(name: "t", replicationFactor: 3)) == ApiError(
            .invalidReplicationFactor,
            "Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 1 broker(s) are registered."))
    }

    @Test func allBrokersFenced() throws {
        var controller = try QuorumController.cluster()
        try controller.commit(controller.fenceBroker(1, brokerEpoch: 11))
        var rng = SeededRandom(seed: 5)
        let r = controller.createTopics([CreateTopicSpec(name: "t")], validateOnly: false, using: &rng)
        #expect(r.response[0].error == ApiError(
            .invalidReplicationFactor, "Unable to replicate the partition 1 time(s): All brokers are currently fenced."))
    }

    @Test func manualAssignments() throws {
        var controller = try QuorumController.cluster(brokers: [1, 2, 3])
        var rng = SeededRandom(seed: 6)
        let spec = CreateTopicSpec(name: "m", assignments: [.init(partitionIndex: 1, brokerIds: [3, 1]), .init(partitionIndex: 0, brokerIds: [2, 3])])
        let result = controller.createTopics([spec], validateOnly: false, using: &rng)
        #expect(result.response[0].error == .none)
        #expect(result.response[0].numPartitions == 2 && result.response[0].replicationFactor == 2)
        try controller.commit(result)
        let topic = try #require(controller.image.topic(named: "m"))
        #expect(topic.partitions[0]?.replicas == [2, 3] && topic.partitions[0]?.leader == 2)
        #expect(topic.partitions[1]?.replicas == [3, 1] && topic.partitions[1]?.leader == 3)
    }

    @Test func manualAssignmentErrors() throws {
        let brokers: [Int32] = [1, 2]
        func a(_ lists: [Int32: [Int32]]) -> [CreateTopicSpec.Assignment] {
            lists.sorted { $0.key < $1.key }.map { .init(partitionIndex: $0.key, brokerIds: $0.value) }
        }
        #expect(try error(CreateTopicSpec(name: "t", numPartitions: 1, assignments: a([0: [1]])), brokers: brokers) == ApiError(
            .invalidRequest, "A manual partition assignment was specified, but numPartitions was not set to -1."))
        #expect(try error(CreateTopicSpec(name: "t", replicationFactor: 1, assignments: a([0: [1]])), brokers: brokers) == ApiError(
            .invalidRequest, "A manual partition assignment was specified, but replication factor was not set to -1."))
        #expect(try error(CreateTopicSpec(name: "t", assignments: a([0: [1, 9]])), brokers: brokers) == ApiError(
            .invalidReplicaAssignment, "The manual partition assignment includes broker 9, but no such broker is registered."))
        #expect(try error(CreateTopicSpec(name: "t", assignments: a([0: [2, 2]])), brokers: brokers) == ApiError(
            .invalidReplicaAssignment, "The manual partition assignment includes the broker 2 more than once."))
        #expect(try error(CreateTopicSpec(name: "t", assignments: a([0: []])), brokers: brokers).error == .invalidReplicaAssignment)
        #expect(try error(CreateTopicSpec(name: "t", assignments: a([0: [1], 1: [1, 2]])), brokers: brokers).error == .invalidReplicaAssignment)
        #expect(try error(CreateTopicSpec(name: "t", assignments: a([0: [1], 2: [2]])), brokers: brokers) == ApiError(
            .invalidReplicaAssignment, "partitions should be a consecutive 0-based integer sequence"))
        let twice = CreateTopicSpec(name: "t", assignments: [.init(partitionIndex: 0, brokerIds: [1]), .init(partitionIndex: 0, brokerIds: [2])])
        #expect(try error(twice, brokers: brokers) == ApiError(
            .invalidReplicaAssignment, "Found multiple manual partition assignments for partition 0"))
    }

    @Test func configErrors() throws {
        let schema = ConfigSchema(
            validate: { _, key, _ in key == "retention.ms" ? nil : "Unknown topic config name: \(key)" },
            isList: { _, _ in false }, defaults: { _ in [:] })
        let configuration = ControllerConfiguration(configSchema: schema)
        #expect(try error(CreateTopicSpec(name: "t", configs: [.init(name: "bogus", value: "1")]), configuration: configuration)
            == ApiError(.invalidConfig, "Unknown topic config name: bogus"))
        #expect(try error(CreateTopicSpec(name: "t", configs: [.init(name: "a", value: nil), .init(name: "b", value: nil)]))
            == ApiError(.invalidConfig, "Null value not supported for topic configs: a,b"))
    }

    @Test func policyViolation() throws {
        let configuration = ControllerConfiguration(createTopicPolicy: { $0.name.hasPrefix("tmp") ? "no temporary topics" : nil })
        #expect(try error(CreateTopicSpec(name: "tmp1"), configuration: configuration) == ApiError(.policyViolation, "no temporary topics"))
        #expect(try error(CreateTopicSpec(name: "ok"), configuration: configuration) == .none)
    }

    @Test func duplicatesInOneRequest() throws {
        let controller = try QuorumController.cluster()
        var rng = SeededRandom(seed: 7)
        let result = controller.createTopics(
            [CreateTopicSpec(name: "d"), CreateTopicSpec(name: "ok"), CreateTopicSpec(name: "d")], validateOnly: false, using: &rng)
        #expect(result.response.map(\.name) == ["ok", "d"])
        #expect(result.response[1].error == ApiError(.invalidRequest, "Duplicate topic name."))
        #expect(result.records.count == 2)
    }

    @Test func severalTopicsGetDistinctIds() throws {
        var controller = try QuorumController.cluster()
        var rng = SeededRandom(seed: 8)
        let result = controller.createTopics((0..<20).map { CreateTopicSpec(name: "t\($0)") }, validateOnly: false, using: &rng)
        #expect(Set(result.response.map(\.topicId)).count == 20)
        #expect(result.response.allSatisfy { !$0.topicId.base64.hasPrefix("-") && $0.topicId != .zero })
        try controller.commit(result)
        #expect(controller.image.topicsById.count == 20)
    }
}
