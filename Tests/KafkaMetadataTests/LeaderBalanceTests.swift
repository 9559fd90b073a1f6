import KafkaMetadata
import KafkaProtocol
import Testing

/// `auto.leader.rebalance.enable`: the controller's clock moves leadership back to the preferred replica once an
/// imbalance has stood for `leader.imbalance.check.interval.seconds`, and only to an active ISR member.
@Suite struct LeaderBalanceTests {
    /// "t" on [1, 2, 3] led by 2 after broker 1 was fenced; broker 1 unfenced again (not yet in the ISR).
    static func imbalanced(_ configuration: ControllerConfiguration) throws -> (QuorumController, KafkaUUID) {
        var (controller, id) = try ElectLeadersTests.cluster(configuration: configuration)
        try controller.commit(controller.fenceBroker(1, brokerEpoch: 11))
        try controller.commit(controller.unfenceBroker(1, brokerEpoch: 11))
        return (controller, id)
    }

    static func rejoin(_ controller: inout QuorumController, _ id: KafkaUUID) throws {
        try controller.commit(controller.alterPartition(AlterPartitionSpec(brokerId: 2, brokerEpoch: 12, topics: [
            .init(topic: .id(id), partitions: [.init(partitionIndex: 0, leaderEpoch: 1, newIsrWithEpochs: [
                .init(brokerId: 2, brokerEpoch: 12), .init(brokerId: 3, brokerEpoch: 13), .init(brokerId: 1, brokerEpoch: 11),
            ], partitionEpoch: 1)]),
        ])))
    }

    @Test func theImbalanceWaitsOneIntervalThenThePreferredReplicaLeads() throws {
        var config = ControllerConfiguration()
        config.leaderImbalanceCheckIntervalMs = 1_000
        var (controller, id) = try Self.imbalanced(config)
        // Noticed at 10 000: due at 11 000. The preferred replica is not in the ISR yet, so nothing moves then.
        #expect(controller.balanceLeadersIfDue(now: 10_000).isEmpty && controller.leaderBalanceDueMs == 11_000)
        #expect(controller.balanceLeadersIfDue(now: 10_999).isEmpty)
        #expect(controller.balanceLeadersIfDue(now: 11_000).isEmpty && controller.leaderBalanceDueMs == 12_000)
        try Self.rejoin(&controller, id)
        #expect(controller.balanceLeadersIfDue(now: 11_500).isEmpty)
        let records = controller.balanceLeadersIfDue(now: 12_000)
        guard records.count == 1, case .partitionChange(let change, _) = records[0] else {
            Issue.record("\(records)")
            return
        }
        #expect(change.topicId == id && change.partitionId == 0 && change.leader == 1)
        try controller.replay(records)
        let p = try ElectLeadersTests.partition(controller)
        #expect(p.leader == 1 && p.leaderEpoch == 2)
        // Balanced: the timer stops.
        #expect(controller.balanceLeadersIfDue(now: 13_000).isEmpty && controller.leaderBalanceDueMs == nil)
    }

    @Test func disabledItNeverMoves() throws {
        var config = ControllerConfiguration()
        config.autoLeaderRebalanceEnable = false
        config.leaderImbalanceCheckIntervalMs = 1
        var (controller, id) = try Self.imbalanced(config)
        try Self.rejoin(&controller, id)
        for t in Int64(0)..<5 { #expect(controller.balanceLeadersIfDue(now: t * 1_000).isEmpty) }
        #expect(try ElectLeadersTests.partition(controller).leader == 2)
    }

    @Test func theClockRunsItWhenNothingIsFenced() throws {
        var config = ControllerConfiguration()
        config.leaderImbalanceCheckIntervalMs = 1_000
        var (controller, id) = try Self.imbalanced(config)
        try Self.rejoin(&controller, id)
        // The tick starts every broker's session at its first sight, then runs the balance timer.
        #expect(controller.tick(now: 100).records.isEmpty)
        let due = controller.tick(now: 1_100)
        #expect(due.response.isEmpty && due.records.count == 1)
    }
}
