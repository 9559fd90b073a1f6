import KafkaMetadata
import KafkaProtocol
import Testing

@Suite struct DeleteTopicsTests {
    func clusterWithTopics(_ names: [String], configuration: ControllerConfiguration = .init()) throws -> QuorumController {
        var controller = try QuorumController.cluster(configuration: configuration)
        var rng = SeededRandom(seed: 11)
        try controller.commit(controller.createTopics(names.map { CreateTopicSpec(name: $0, configs: [.init(name: "k", value: "v")]) },
                                                      validateOnly: false, using: &rng))
        return controller
    }

    @Test func deletesByNameAndById() throws {
        var controller = try clusterWithTopics(["a", "b", "__consumer_offsets"])
        let bId = controller.image.topic(named: "b")!.id
        let result = controller.deleteTopics([.named("a"), .id(bId), .named("__consumer_offsets")])
        #expect(result.response.allSatisfy { $0.error == .none })
        #expect(Set(result.response.compactMap(\.name)) == ["a", "b", "__consumer_offsets"])
        #expect(result.records.count == 3)
        try controller.commit(result)
        #expect(controller.image.topicsById.isEmpty && controller.image.topicIdsByName.isEmpty)
        #expect(controller.image.configs.isEmpty)
    }

    @Test func unknownTopics() throws {
        let controller = try clusterWithTopics(["a"])
        let unknownId = KafkaUUID(mostSignificantBits: 9, leastSignificantBits: 9)
        let result = controller.deleteTopics([.named("nope"), .id(unknownId)])
        #expect(result.records.isEmpty)
        #expect(result.response.contains(DeleteTopicResult(
            name: "nope", topicId: .zero, error: ApiError(.unknownTopicOrPartition, "This server does not host this topic-partition."))))
        #expect(result.response.contains(DeleteTopicResult(
            name: nil, topicId: unknownId, error: ApiError(.unknownTopicId, "This server does not host this topic ID."))))
    }

    @Test func invalidRequests() throws {
        let controller = try clusterWithTopics(["a", "b"])
        let aId = controller.image.topic(named: "a")!.id
        let result = controller.deleteTopics([
            .named("b"), .named("b"), .id(aId), .id(aId), DeleteTopicSpec(name: nil), DeleteTopicSpec(name: "a", topicId: aId),
        ])
        #expect(result.records.isEmpty)
        let errors = result.response.map { $0.error.message ?? "" }
        #expect(errors.contains("Duplicate topic name."))
        #expect(errors.contains("Duplicate topic id."))
        #expect(errors.contains("Neither topic name nor id were specified."))
        #expect(errors.contains("You may not specify both topic name and topic id."))
        #expect(result.response.allSatisfy { $0.error.error == .invalidRequest })
    }

    @Test func deletionDisabled() throws {
        let controller = try clusterWithTopics(["a"], configuration: ControllerConfiguration(deleteTopicEnable: false))
        #expect(controller.deleteTopics(names: ["a"]).response[0].error.error == .topicDeletionDisabled)
        #expect(controller.deleteTopics(names: ["a"], apiVersion: 2).response[0].error == ApiError(.invalidRequest, "Topic deletion is disabled."))
        #expect(controller.deleteTopics(names: ["a"]).records.isEmpty)
    }
}

@Suite struct CreatePartitionsTests {
    @Test func addsPartitions() throws {
        var controller = try QuorumController.cluster(brokers: [1, 2, 3])
        var rng = SeededRandom(seed: 12)
        try controller.commit(controller.createTopics([CreateTopicSpec(name: "t", numPartitions: 2, replicationFactor: 2)], validateOnly: false, using: &rng))
        let validate = controller.createPartitions([CreatePartitionsSpec(name: "t", count: 5)], validateOnly: true, using: &rng)
        #expect(validate.records.isEmpty && validate.response == [CreatePartitionsResult(name: "t")])
        let result = controller.createPartitions([CreatePartitionsSpec(name: "t", count: 5)], validateOnly: false, using: &rng)
        #expect(result.response == [CreatePartitionsResult(name: "t")])
        #expect(result.records.count == 3)
        try controller.commit(result)
        let topic = try #require(controller.image.topic(named: "t"))
        #expect(topic.partitions.keys.sorted() == [0, 1, 2, 3, 4])
        #expect(topic.partitions.values.allSatisfy { $0.replicas.count == 2 })
    }

    @Test func manualAssignment() throws {
        var controller = try QuorumController.cluster(brokers: [1, 2])
        var rng = SeededRandom(seed: 13)
        try controller.commit(controller.createTopics([CreateTopicSpec(name: "t", replicationFactor: 2)], validateOnly: false, using: &rng))
        try controller.commit(controller.createPartitions([CreatePartitionsSpec(name: "t", count: 2, assignments: [[2, 1]])], validateOnly: false, using: &rng))
        #expect(controller.image.topic(named: "t")?.partitions[1]?.replicas == [2, 1])
        #expect(controller.image.topic(named: "t")?.partitions[1]?.leader == 2)
    }

    @Test func errors() throws {
        var controller = try QuorumController.cluster(brokers: [1, 2])
        var rng = SeededRandom(seed: 14)
        try controller.commit(controller.createTopics([CreateTopicSpec(name: "t", numPartitions: 3)], validateOnly: false, using: &rng))
        func err(_ spec: CreatePartitionsSpec) -> ApiError {
            let r = controller.createPartitions([spec], validateOnly: false, using: &rng)
            #expect(r.records.isEmpty)
            return r.response[0].error
        }
        #expect(err(CreatePartitionsSpec(name: "t", count: 2)) == ApiError(
            .invalidPartitions, "The topic t currently has 3 partition(s); 2 would not be an increase."))
        #expect(err(CreatePartitionsSpec(name: "t", count: 3)) == ApiError(.invalidPartitions, "Topic already has 3 partition(s)."))
        #expect(err(CreatePartitionsSpec(name: "x", count: 3)).error == .unknownTopicOrPartition)
        #expect(err(CreatePartitionsSpec(name: "t", count: 5, assignments: [[1]])) == ApiError(
            .invalidReplicaAssignment, "Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified."))
        #expect(err(CreatePartitionsSpec(name: "t", count: 4, assignments: [[1, 2]])).error == .invalidReplicaAssignment)
        #expect(err(CreatePartitionsSpec(name: "t", count: 4, assignments: [[7]])).error == .invalidReplicaAssignment)
        let dup = controller.createPartitions([CreatePartitionsSpec(name: "t", count: 4), CreatePartitionsSpec(name: "t", count: 5)], validateOnly: false, using: &rng)
        #expect(dup.response == [CreatePartitionsResult(name: "t", error: ApiError(.invalidRequest, "Duplicate topic name."))])
        #expect(dup.records.isEmpty)
    }
}
