import KafkaMetadata
import KafkaProtocol
import Testing

/// AlterPartition (KIP-497) against Kafka 3.7's rules: a leader's ISR shrinks and expands through the controller.
@Suite struct AlterPartitionTests {
    typealias Partition = AlterPartitionResult.Partition

    /// Brokers 1-3 (epochs 11-13) and topic "t" with one partition on [1, 2, 3]: leader 1, ISR [1, 2, 3], leader
    /// and partition epochs 0.
    static func cluster(brokers: [Int32] = [1, 2, 3]) throws -> (QuorumController, KafkaUUID) {
        var controller = try QuorumController.cluster(brokers: brokers)
        var rng = SeededRandom(seed: 56)
        try controller.commit(controller.createTopics([
            CreateTopicSpec(name: "t", assignments: [.init(partitionIndex: 0, brokerIds: [1, 2, 3])]),
        ], validateOnly: false, using: &rng))
        return (controller, try #require(controller.image.topic(named: "t")).id)
    }

    /// A request for partition 0 of `topic`, from broker 1 at its epoch unless told; from version 3 every ISR
    /// member carries its registered epoch (10 + id), before it -1.
    static func request(
        _ topic: AlterPartitionSpec.TopicReference, isr: [Int32], leaderEpoch: Int32 = 0, partitionEpoch: Int32 = 0,
        recovery: Int8 = 0, partition: Int32 = 0, from brokerId: Int32 = 1, brokerEpoch: Int64? = nil, version: Int16 = 3
    ) -> AlterPartitionSpec {
        let members = isr.map { AlterPartitionSpec.Replica(brokerId: $0, brokerEpoch: version >= 3 ? 10 + Int64($0) : -1) }
        return AlterPartitionSpec(brokerId: brokerId, brokerEpoch: brokerEpoch ?? 10 + Int64(brokerId), topics: [
            .init(topic: topic, partitions: [.init(partitionIndex: partition, leaderEpoch: leaderEpoch,
                                                   newIsrWithEpochs: members, leaderRecoveryState: recovery,
                                                   partitionEpoch: partitionEpoch)]),
        ], apiVersion: version)
    }

    /// The one partition result of a one-partition request (a sentinel when the shape is wrong, so checks fail).
    static func only(_ result: AlterPartitionResult) -> Partition {
        guard result.topics.count == 1, result.topics[0].partitions.count == 1 else { return Partition(partitionIndex: -99) }
        return result.topics[0].partitions[0]
    }

    /// The code for partition 0 of a request that must change nothing.
    static func refusal(_ controller: QuorumController, _ spec: AlterPartitionSpec) -> KafkaError? {
        let result = controller.alterPartition(spec)
        #expect(result.records.isEmpty)
        return result.response.error.isFailure ? nil : only(result.response).error.error
    }

    @Test func shrinkThenExpandBumpsOnlyThePartitionEpoch() throws {
        var (controller, id) = try Self.cluster()
        let shrink = controller.alterPartition(Self.request(.id(id), isr: [1, 2]))
        #expect(shrink.response.error == .none)
        #expect(shrink.response.topics.map(\.topic) == [.id(id)])
        #expect(Self.only(shrink.response) == Partition(partitionIndex: 0, leaderId: 1, leaderEpoch: 0, isr: [1, 2], partitionEpoch: 1))
        guard shrink.records.count == 1, case .partitionChange(let change, let version) = shrink.records[0] else {
            Issue.record("\(shrink.records)")
            return
        }
        #expect(version == 1)
        #expect(change.topicId == id && change.partitionId == 0 && change.isr == [1, 2])
        #expect(change.leader == PartitionRegistration.noLeaderChange && change.leaderRecoveryState == -1)
        try controller.commit(shrink)
        var p = try #require(controller.image.topic(id: id)?.partitions[0])
        #expect(p.isr == [1, 2] && p.leader == 1 && p.leaderEpoch == 0 && p.partitionEpoch == 1)

        let expand = controller.alterPartition(Self.request(.id(id), isr: [1, 2, 3], partitionEpoch: 1))
        #expect(Self.only(expand.response) == Partition(partitionIndex: 0, leaderId: 1, leaderEpoch: 0, isr: [1, 2, 3], partitionEpoch: 2))
        #expect(expand.records.count == 1)
        try controller.commit(expand)
        p = try #require(controller.image.topic(id: id)?.partitions[0])
        #expect(p.isr == [1, 2, 3] && p.leaderEpoch == 0 && p.partitionEpoch == 2)
    }

    @Test func theSameIsrIsAnsweredWithTheCurrentStateAndNoRecord() throws {
        let (controller, id) = try Self.cluster()
        let same = controller.alterPartition(Self.request(.id(id), isr: [1, 2, 3]))
        #expect(same.records.isEmpty)
        #expect(Self.only(same.response) == Partition(partitionIndex: 0, leaderId: 1, leaderEpoch: 0, isr: [1, 2, 3], partitionEpoch: 0))
        // Kafka compares lists: the same members in another order are a change.
        let reordered = controller.alterPartition(Self.request(.id(id), isr: [2, 1, 3]))
        #expect(reordered.records.count == 1 && Self.only(reordered.response).isr == [2, 1, 3])
    }

    @Test func aStaleSenderIsRefusedAsAWhole() throws {
        let (controller, id) = try Self.cluster()
        let stale = controller.alterPartition(Self.request(.id(id), isr: [1, 2], brokerEpoch: 99))
        #expect(stale.records.isEmpty)
        #expect(stale.response.error.error == .staleBrokerEpoch && stale.response.topics.isEmpty)
        let unknown = controller.alterPartition(Self.request(.id(id), isr: [1, 2], from: 9, brokerEpoch: 19))
        #expect(unknown.response.error.error == .staleBrokerEpoch && unknown.records.isEmpty)
    }

    @Test func unknownTopicsAndPartitions() throws {
        let (controller, id) = try Self.cluster()
        let otherId = KafkaUUID(mostSignificantBits: 5, leastSignificantBits: 6)
        #expect(Self.refusal(controller, Self.request(.id(otherId), isr: [1, 2])) == .unknownTopicId)
        #expect(Self.refusal(controller, Self.request(.id(.zero), isr: [1, 2])) == .unknownTopicId)
        #expect(Self.refusal(controller, Self.request(.name("nope"), isr: [1, 2], version: 1)) == .unknownTopicOrPartition)
        #expect(Self.refusal(controller, Self.request(.id(id), isr: [1, 2], partition: 5)) == .unknownTopicOrPartition)
        // Before version 2 topics go by name, and are echoed that way.
        let byName = controller.alterPartition(Self.request(.name("t"), isr: [1, 2], version: 1))
        #expect(byName.response.topics.map(\.topic) == [.name("t")])
        #expect(Self.only(byName.response).partitionEpoch == 1 && byName.records.count == 1)
    }

    @Test func onlyTheLeaderAtItsEpochsMayChangeTheIsr() throws {
        var (controller, id) = try Self.cluster()
        #expect(Self.refusal(controller, Self.request(.id(id), isr: [1, 2], from: 2)) == .invalidRequest)
        // A sender ahead of this controller: this node is likely no longer the active controller.
        #expect(Self.refusal(controller, Self.request(.id(id), isr: [1, 2], leaderEpoch: 1)) == .notController)
        #expect(Self.refusal(controller, Self.request(.id(id), isr: [1, 2], partitionEpoch: 1)) == .notController)
        // Fencing the leader moves leadership to 2 at leader epoch 1 (partition epoch 1, ISR [2, 3]).
        try controller.commit(controller.fenceBroker(1, brokerEpoch: 11))
        let p = try #require(controller.image.topic(id: id)?.partitions[0])
        #expect(p.leader == 2 && p.leaderEpoch == 1 && p.partitionEpoch == 1)
        #expect(Self.refusal(controller, Self.request(.id(id), isr: [2], leaderEpoch: 0, partitionEpoch: 1, from: 2)) == .fencedLeaderEpoch)
        // The old leader's epoch is checked before its leadership.
        #expect(Self.refusal(controller, Self.request(.id(id), isr: [1, 2], leaderEpoch: 0, partitionEpoch: 1)) == .fencedLeaderEpoch)
        #expect(Self.refusal(controller, Self.request(.id(id), isr: [1, 2], leaderEpoch: 1, partitionEpoch: 1)) == .invalidRequest)
        let accepted = controller.alterPartition(Self.request(.id(id), isr: [2], leaderEpoch: 1, partitionEpoch: 1, from: 2))
        #expect(Self.only(accepted.response) == Partition(partitionIndex: 0, leaderId: 2, leaderEpoch: 1, isr: [2], partitionEpoch: 2))
    }

    @Test func aStalePartitionEpochIsRefusedAfterASuccess() throws {
        var (controller, id) = try Self.cluster()
        try controller.commit(controller.alterPartition(Self.request(.id(id), isr: [1, 2])))
        #expect(Self.refusal(controller, Self.request(.id(id), isr: [1], partitionEpoch: 0)) == .invalidUpdateVersion)
        #expect(Self.refusal(controller, Self.request(.id(id), isr: [1], partitionEpoch: 0, version: 0)) == .invalidUpdateVersion)
        #expect(Self.only(controller.alterPartition(Self.request(.id(id), isr: [1], partitionEpoch: 1)).response).partitionEpoch == 2)
    }

    @Test func theIsrMustBeASetOfReplicasHoldingTheLeader() throws {
        let (controller, id) = try Self.cluster(brokers: [1, 2, 3, 4])
        #expect(Self.refusal(controller, Self.request(.id(id), isr: [1, 4])) == .invalidRequest)
        #expect(Self.refusal(controller, Self.request(.id(id), isr: [1, 2, 2])) == .invalidRequest)
        #expect(Self.refusal(controller, Self.request(.id(id), isr: [2, 3])) == .invalidRequest)
        #expect(Self.refusal(controller, Self.request(.id(id), isr: [])) == .invalidRequest)
    }

    @Test func fencedShuttingDownOrRestartedMembersAreIneligible() throws {
        var (controller, id) = try Self.cluster()
        // Fencing 3 takes it out of the ISR: [1, 2] at partition epoch 1.
        try controller.commit(controller.fenceBroker(3, brokerEpoch: 13))
        #expect(controller.image.topic(id: id)?.partitions[0]?.isr == [1, 2])
        let rejoin = Self.request(.id(id), isr: [1, 2, 3], partitionEpoch: 1)
        #expect(Self.refusal(controller, rejoin) == .ineligibleReplica)
        #expect(Self.refusal(controller, Self.request(.id(id), isr: [1, 2, 3], partitionEpoch: 1, version: 2)) == .ineligibleReplica)
        // INELIGIBLE_REPLICA is new in version 2; older leaders get OPERATION_NOT_ATTEMPTED.
        #expect(Self.refusal(controller, Self.request(.name("t"), isr: [1, 2, 3], partitionEpoch: 1, version: 1)) == .operationNotAttempted)
        try controller.commit(controller.unfenceBroker(3, brokerEpoch: 13))
        #expect(Self.only(controller.alterPartition(rejoin).response).isr == [1, 2, 3])

        // In controlled shutdown.
        var shutdown = BrokerRegistrationChangeRecord()
        shutdown.brokerId = 3
        shutdown.brokerEpoch = 13
        shutdown.inControlledShutdown = 1
        try controller.replay(.brokerRegistrationChange(shutdown, version: 2))
        #expect(Self.refusal(controller, rejoin) == .ineligibleReplica)
    }

    @Test func aMemberAtAnotherBrokerEpochIsIneligible() throws {
        let (controller, id) = try Self.cluster()
        var spec = Self.request(.id(id), isr: [1, 2, 3])
        spec.topics[0].partitions[0].newIsrWithEpochs[2].brokerEpoch = 7
        #expect(Self.refusal(controller, spec) == .ineligibleReplica)
        // -1 skips the check (what versions before 3 mean).
        spec.topics[0].partitions[0].newIsrWithEpochs[2].brokerEpoch = -1
        spec.topics[0].partitions[0].newIsrWithEpochs.remove(at: 1)
        #expect(Self.only(controller.alterPartition(spec).response).isr == [1, 3])
    }

    @Test func leaderRecoveryStateTransitions() throws {
        var (controller, id) = try Self.cluster()
        #expect(Self.refusal(controller, Self.request(.id(id), isr: [1], recovery: 1)) == .invalidRequest)
        #expect(Self.refusal(controller, Self.request(.id(id), isr: [1], recovery: 7)) == .invalidRequest)
        // As an unclean election leaves it (KIP-704): the leader alone, recovering.
        var unclean = PartitionChangeRecord()
        unclean.topicId = id
        unclean.partitionId = 0
        unclean.isr = [1]
        unclean.leaderRecoveryState = 1
        try controller.replay(.partitionChange(unclean, version: 1))
        #expect(Self.refusal(controller, Self.request(.id(id), isr: [1, 2], partitionEpoch: 1, recovery: 1)) == .invalidRequest)
        let still = controller.alterPartition(Self.request(.id(id), isr: [1], partitionEpoch: 1, recovery: 1))
        #expect(still.records.isEmpty && Self.only(still.response).leaderRecoveryState == 1)
        let recovered = controller.alterPartition(Self.request(.id(id), isr: [1], partitionEpoch: 1, recovery: 0))
        guard recovered.records.count == 1, case .partitionChange(let change, _) = recovered.records[0] else {
            Issue.record("\(recovered.records)")
            return
        }
        #expect(change.leaderRecoveryState == 0 && change.isr == nil)
        #expect(Self.only(recovered.response) == Partition(partitionIndex: 0, leaderId: 1, leaderEpoch: 0, isr: [1], partitionEpoch: 2))
    }

    /// Before metadata.version 3.6-IV0 a shrink bumps the leader epoch (KAFKA-15021); an expansion never does.
    @Test func olderMetadataVersionsBumpTheLeaderEpochOnShrink() throws {
        var (controller, id) = try Self.cluster()
        var level = FeatureLevelRecord()
        level.name = MetadataVersion.featureName
        level.featureLevel = 11
        try controller.replay(.featureLevel(level))
        let shrink = controller.alterPartition(Self.request(.id(id), isr: [1, 2]))
        guard shrink.records.count == 1, case .partitionChange(let change, let version) = shrink.records[0] else {
            Issue.record("\(shrink.records)")
            return
        }
        #expect(version == 0 && change.leader == 1)
        #expect(Self.only(shrink.response) == Partition(partitionIndex: 0, leaderId: 1, leaderEpoch: 1, isr: [1, 2], partitionEpoch: 1))
        try controller.commit(shrink)
        let expand = controller.alterPartition(Self.request(.id(id), isr: [1, 2, 3], leaderEpoch: 1, partitionEpoch: 1))
        #expect(Self.only(expand.response) == Partition(partitionIndex: 0, leaderId: 1, leaderEpoch: 1, isr: [1, 2, 3], partitionEpoch: 2))
    }

    @Test func partitionsOfOneRequestAreAnsweredEachOnItsOwn() throws {
        var (controller, id) = try Self.cluster()
        var rng = SeededRandom(seed: 57)
        try controller.commit(controller.createPartitions([CreatePartitionsSpec(name: "t", count: 2, assignments: [[1, 3, 2]])],
                                                          validateOnly: false, using: &rng))
        var spec = Self.request(.id(id), isr: [1, 2])
        spec.topics[0].partitions.append(.init(partitionIndex: 1, leaderEpoch: 0, newIsrWithEpochs: [.init(brokerId: 3, brokerEpoch: 13)], partitionEpoch: 0))
        let result = controller.alterPartition(spec)
        #expect(controller.image.topic(id: id)?.partitions[1]?.leader == 1)
        // Partition 1's ISR [3] leaves out its leader, 1: refused while partition 0 changes.
        #expect(result.records.count == 1)
        #expect(result.response.topics.first?.partitions.map(\.error.error) == [KafkaError.none, .invalidRequest])
    }

    @Test func theCommandRunsThroughExecuteAndIsRefusedAsAWhole() throws {
        var (controller, id) = try Self.cluster()
        var rng = SeededRandom(seed: 58)
        let command = ControllerCommand.alterPartition(Self.request(.id(id), isr: [1, 3]))
        #expect(command.name == "AlterPartition")
        let r = controller.execute(command, context: CommandContext(now: 0, nextOffset: 100), using: &rng)
        guard case .alterPartition(let result) = r.response else { Issue.record("\(r.response)"); return }
        #expect(Self.only(result).isr == [1, 3] && r.records.count == 1)
        guard case .alterPartition(let refused) = ControllerReply.refusing(command, with: ApiError(.notController)) else {
            Issue.record("not an AlterPartition reply")
            return
        }
        #expect(refused == AlterPartitionResult(error: ApiError(.notController)))
    }
}
