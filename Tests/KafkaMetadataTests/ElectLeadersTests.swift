import KafkaMetadata
import KafkaProtocol
import Testing

/// ElectLeaders (KIP-183, KIP-460) against Kafka 3.7's `ReplicationControlManager.electLeaders`, and
/// `unclean.leader.election.enable` when brokers are fenced and unfenced (Kafka 3.9's KAFKA-12670).
@Suite struct ElectLeadersTests {
    typealias Partition = ElectLeadersResult.Partition

    /// Brokers 1-3 (epochs 11-13) and topic "t" with one partition on [1, 2, 3] (leader 1, ISR [1, 2, 3], epochs 0).
    static func cluster(
        configs: [CreateTopicSpec.Config] = [], configuration: ControllerConfiguration = ControllerConfiguration()
    ) throws -> (QuorumController, KafkaUUID) {
        var controller = try QuorumController.cluster(brokers: [1, 2, 3], configuration: configuration)
        var rng = SeededRandom(seed: 43)
        try controller.commit(controller.createTopics([
            CreateTopicSpec(name: "t", assignments: [.init(partitionIndex: 0, brokerIds: [1, 2, 3])], configs: configs),
        ], validateOnly: false, using: &rng))
        return (controller, try #require(controller.image.topic(named: "t")).id)
    }

    static func partition(_ controller: QuorumController, _ topic: String = "t") throws -> PartitionRegistration {
        try #require(controller.image.topic(named: topic)?.partitions[0])
    }

    /// Partition 0 of "t" as its leader 1 leaves it: the ISR shrunk to [1] by AlterPartition, then broker 1 fenced.
    static func leaderless(_ controller: inout QuorumController, id: KafkaUUID) throws -> ControllerResult<ApiError> {
        let shrink = AlterPartitionSpec(brokerId: 1, brokerEpoch: 11, topics: [
            .init(topic: .id(id), partitions: [.init(partitionIndex: 0, leaderEpoch: 0, newIsrWithEpochs: [.init(brokerId: 1, brokerEpoch: 11)], partitionEpoch: 0)]),
        ])
        try controller.commit(controller.alterPartition(shrink))
        let fence = controller.fenceBroker(1, brokerEpoch: 11)
        try controller.commit(fence)
        return fence
    }

    static func elect(_ type: ElectionType, _ topic: String = "t", partitions: [Int32] = [0]) -> ElectLeadersSpec {
        ElectLeadersSpec(electionType: type.rawValue, topics: [.init(topic: topic, partitions: partitions)])
    }

    /// The one partition's outcome of a one-partition request (a sentinel when the shape is wrong, so checks fail).
    static func only(_ result: ElectLeadersResult) -> Partition {
        guard result.topics.count == 1, result.topics[0].partitions.count == 1 else { return Partition(partitionId: -99) }
        return result.topics[0].partitions[0]
    }

    static let notNeeded = ApiError(.electionNotNeeded, "Leader election not needed for topic partition.")
    static let preferredNotAvailable = ApiError(.preferredLeaderNotAvailable, "The preferred leader was not available.")

    @Test func preferredElectionMovesLeadershipBackToTheReturnedBroker() throws {
        var (controller, id) = try Self.cluster()
        try controller.commit(controller.fenceBroker(1, brokerEpoch: 11))
        var p = try Self.partition(controller)
        #expect(p.leader == 2 && p.isr == [2, 3] && p.leaderEpoch == 1 && p.partitionEpoch == 1)
        try controller.commit(controller.unfenceBroker(1, brokerEpoch: 11))
        // Back, but not in the ISR until the leader lets it in: preferred is not available yet.
        let early = controller.electLeaders(Self.elect(.preferred))
        #expect(early.records.isEmpty)
        #expect(Self.only(early.response) == Partition(partitionId: 0, error: Self.preferredNotAvailable))

        try controller.commit(controller.alterPartition(AlterPartitionSpec(brokerId: 2, brokerEpoch: 12, topics: [
            .init(topic: .id(id), partitions: [.init(partitionIndex: 0, leaderEpoch: 1, newIsrWithEpochs: [
                .init(brokerId: 2, brokerEpoch: 12), .init(brokerId: 3, brokerEpoch: 13), .init(brokerId: 1, brokerEpoch: 11),
            ], partitionEpoch: 1)]),
        ])))
        let result = controller.electLeaders(Self.elect(.preferred))
        #expect(result.response == ElectLeadersResult(topics: [.init(topic: "t", partitions: [Partition(partitionId: 0)])]))
        guard result.records.count == 1, case .partitionChange(let change, let version) = result.records[0] else {
            Issue.record("\(result.records)")
            return
        }
        #expect(version == 1)
        #expect(change.topicId == id && change.partitionId == 0 && change.leader == 1)
        #expect(change.isr == nil && change.leaderRecoveryState == -1)
        try controller.commit(result)
        p = try Self.partition(controller)
        #expect(p.leader == 1 && p.isr == [2, 3, 1] && p.leaderEpoch == 2 && p.partitionEpoch == 3 && p.leaderRecoveryState == 0)
        // Done: asking again changes nothing.
        let again = controller.electLeaders(Self.elect(.preferred))
        #expect(again.records.isEmpty && Self.only(again.response).error == Self.notNeeded)
    }

    @Test func aLeaderThatIsAlreadyRightNeedsNoElection() throws {
        let (controller, _) = try Self.cluster()
        for type in [ElectionType.preferred, .unclean] {
            let result = controller.electLeaders(Self.elect(type))
            #expect(result.records.isEmpty)
            #expect(Self.only(result.response) == Partition(partitionId: 0, error: Self.notNeeded), "\(type)")
        }
    }

    @Test func aFencedPreferredReplicaIsNotAvailable() throws {
        var (controller, id) = try Self.cluster()
        _ = try Self.leaderless(&controller, id: id)
        // Broker 1 is the last ISR member but fenced, and the partition has no leader.
        let p = try Self.partition(controller)
        #expect(p.leader == -1 && p.isr == [1])
        let result = controller.electLeaders(Self.elect(.preferred))
        #expect(result.records.isEmpty)
        #expect(Self.only(result.response) == Partition(partitionId: 0, error: Self.preferredNotAvailable))
    }

    @Test func uncleanElectionWithNoActiveIsrMemberPicksAnActiveReplica() throws {
        var (controller, id) = try Self.cluster()
        let fence = try Self.leaderless(&controller, id: id)
        // Disabled by default: fencing the last ISR member leaves the partition leaderless, as Kafka 3.7 does.
        #expect(fence.records.count == 2)
        var p = try Self.partition(controller)
        #expect(p.leader == -1 && p.isr == [1] && p.leaderEpoch == 1 && p.leaderRecoveryState == 0)

        let result = controller.electLeaders(Self.elect(.unclean))
        #expect(Self.only(result.response) == Partition(partitionId: 0))
        guard result.records.count == 1, case .partitionChange(let change, _) = result.records[0] else {
            Issue.record("\(result.records)")
            return
        }
        #expect(change.leader == 2 && change.isr == [2] && change.leaderRecoveryState == 1)
        try controller.commit(result)
        p = try Self.partition(controller)
        #expect(p.leader == 2 && p.isr == [2] && p.leaderEpoch == 2 && p.leaderRecoveryState == 1)
    }

    @Test func uncleanElectionWithoutAnyActiveReplicaIsRefused() throws {
        var (controller, id) = try Self.cluster()
        try controller.commit(controller.fenceBroker(2, brokerEpoch: 12))
        try controller.commit(controller.fenceBroker(3, brokerEpoch: 13))
        _ = try Self.leaderless(&controller, id: id)
        let result = controller.electLeaders(Self.elect(.unclean))
        #expect(result.records.isEmpty)
        #expect(Self.only(result.response).error
            == ApiError(.eligibleLeadersNotAvailable, "Eligible topic partition leaders are not available."))
    }

    @Test func theTopicConfigLetsTheControllerElectUncleanlyWhenTheLastIsrMemberIsFenced() throws {
        var (controller, id) = try Self.cluster(configs: [.init(name: "unclean.leader.election.enable", value: "true")])
        let fence = try Self.leaderless(&controller, id: id)
        guard fence.records.count == 2, case .partitionChange(let change, _) = fence.records[1] else {
            Issue.record("\(fence.records)")
            return
        }
        #expect(change.leader == 2 && change.isr == [2] && change.leaderRecoveryState == 1)
        let p = try Self.partition(controller)
        #expect(p.leader == 2 && p.isr == [2] && p.leaderEpoch == 1 && p.partitionEpoch == 2 && p.leaderRecoveryState == 1)
    }

    @Test func theTopicConfigOverridesTheClusterDefaultWhichOverridesTheStaticOne() throws {
        // Static true, topic false: leaderless.
        var (controller, id) = try Self.cluster(configs: [.init(name: "unclean.leader.election.enable", value: "false")],
                                                configuration: ControllerConfiguration(uncleanLeaderElectionEnable: true))
        _ = try Self.leaderless(&controller, id: id)
        #expect(try Self.partition(controller).leader == -1)

        // Static false, cluster-wide broker default TRUE (any case, as Java's parseBoolean): elected.
        (controller, id) = try Self.cluster()
        try controller.commit(controller.incrementalAlterConfigs([
            IncrementalAlterConfigsSpec(resource: .brokerDefault, changes: [.init(name: "unclean.leader.election.enable", operation: .set, value: "TRUE")]),
        ], validateOnly: false))
        _ = try Self.leaderless(&controller, id: id)
        #expect(try Self.partition(controller).leader == 2)
    }

    @Test func aReplicaComingBackLeadsALeaderlessPartitionWhenUncleanElectionIsEnabled() throws {
        var (controller, id) = try Self.cluster(configuration: ControllerConfiguration(uncleanLeaderElectionEnable: true))
        try controller.commit(controller.fenceBroker(2, brokerEpoch: 12))
        try controller.commit(controller.fenceBroker(3, brokerEpoch: 13))
        _ = try Self.leaderless(&controller, id: id)
        #expect(try Self.partition(controller).leader == -1)
        try controller.commit(controller.unfenceBroker(3, brokerEpoch: 13))
        let p = try Self.partition(controller)
        #expect(p.leader == 3 && p.isr == [3] && p.leaderRecoveryState == 1)
    }

    @Test func everyPartitionIsAnsweredWithOnlyThoseThatNeededAnElection() throws {
        var (controller, _) = try Self.cluster()
        var rng = SeededRandom(seed: 7)
        try controller.commit(controller.createTopics([
            CreateTopicSpec(name: "u", assignments: [.init(partitionIndex: 0, brokerIds: [2, 3]), .init(partitionIndex: 1, brokerIds: [1, 3])]),
        ], validateOnly: false, using: &rng))
        // Broker 1 leaves and returns: "t" and "u"-1 lose their preferred leader, and it is in neither ISR.
        try controller.commit(controller.fenceBroker(1, brokerEpoch: 11))
        try controller.commit(controller.unfenceBroker(1, brokerEpoch: 11))
        let result = controller.electLeaders(ElectLeadersSpec(topics: nil))
        #expect(result.records.isEmpty)
        #expect(result.response == ElectLeadersResult(topics: [
            .init(topic: "t", partitions: [Partition(partitionId: 0, error: Self.preferredNotAvailable)]),
            .init(topic: "u", partitions: [Partition(partitionId: 1, error: Self.preferredNotAvailable)]),
        ]))
    }

    @Test func unknownPartitionsAndElectionTypes() throws {
        let (controller, _) = try Self.cluster()
        let unknown = controller.electLeaders(ElectLeadersSpec(topics: [
            .init(topic: "nope", partitions: [0]), .init(topic: "t", partitions: [5, 0]),
        ]))
        #expect(unknown.records.isEmpty)
        #expect(unknown.response == ElectLeadersResult(topics: [
            .init(topic: "nope", partitions: [Partition(partitionId: 0, error: ApiError(.unknownTopicOrPartition, "No such topic as nope"))]),
            .init(topic: "t", partitions: [
                Partition(partitionId: 5, error: ApiError(.unknownTopicOrPartition, "No such partition as t-5")),
                Partition(partitionId: 0, error: Self.notNeeded),
            ]),
        ]))

        let invalid = ApiError(.invalidRequest, "Unknown election type 2")
        let bad = controller.electLeaders(ElectLeadersSpec(electionType: 2, topics: [.init(topic: "t", partitions: [0])]))
        #expect(bad.response == ElectLeadersResult(error: invalid, topics: [.init(topic: "t", partitions: [Partition(partitionId: 0, error: invalid)])]))
        #expect(controller.electLeaders(ElectLeadersSpec(electionType: 2, topics: nil)).response == ElectLeadersResult(error: invalid))
        // An empty list is answered before the type is looked at.
        #expect(controller.electLeaders(ElectLeadersSpec(electionType: 2, topics: [])).response == ElectLeadersResult())
    }

    @Test func aPartitionNamedTwiceIsElectedOnce() throws {
        var (controller, id) = try Self.cluster()
        _ = try Self.leaderless(&controller, id: id)
        let result = controller.electLeaders(ElectLeadersSpec(electionType: 1, topics: [
            .init(topic: "t", partitions: [0, 0]), .init(topic: "t", partitions: [0]),
        ]))
        #expect(result.records.count == 1)
        #expect(result.response.topics.flatMap(\.partitions) == Array(repeating: Partition(partitionId: 0), count: 3))
    }

    @Test func theCommandAndItsRefusal() throws {
        var (controller, _) = try Self.cluster()
        var rng = SeededRandom(seed: 1)
        let command = ControllerCommand.electLeaders(Self.elect(.preferred))
        let r = controller.execute(command, context: CommandContext(now: 0, nextOffset: 100), using: &rng)
        guard case .electLeaders(let result) = r.response else { Issue.record("\(r.response)"); return }
        #expect(Self.only(result).error == Self.notNeeded)
        let notController = ApiError(.notController)
        guard case .electLeaders(let refused) = ControllerReply.refusing(command, with: notController) else {
            Issue.record("not an ElectLeaders reply")
            return
        }
        #expect(refused == ElectLeadersResult(error: notController, topics: [.init(topic: "t", partitions: [Partition(partitionId: 0, error: notController)])]))
    }
}
