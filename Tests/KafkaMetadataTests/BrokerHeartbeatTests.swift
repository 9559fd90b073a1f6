import KafkaMetadata
import KafkaProtocol
import Testing

/// Heartbeats, sessions and the controller's tick, without I/O: time is a number passed in.
@Suite struct BrokerHeartbeatTests {
    static func spec(_ id: Int32) -> BrokerRegistrationSpec {
        BrokerRegistrationSpec(
            brokerId: id, incarnationId: KafkaUUID(mostSignificantBits: 9, leastSignificantBits: UInt64(id)),
            listeners: [.init(name: "PLAINTEXT", host: "localhost", port: UInt16(9091 + id), securityProtocol: 0)],
            supportedFeatures: [.init(name: "metadata.version", minVersion: 1, maxVersion: 19)])
    }

    @Test func registrationIsFencedUntilAHeartbeatShowsTheBrokerCaughtUp() throws {
        var controller = try QuorumController.cluster(brokers: [])
        var rng = SeededRandom(seed: 1)
        let registered = controller.execute(.registerBroker(Self.spec(4)), context: CommandContext(now: 0, nextOffset: 20), using: &rng)
        guard case .brokerRegistration(let r) = registered.response else { Issue.record("\(registered.response)"); return }
        #expect(r == BrokerRegistrationResult(brokerEpoch: 20))
        try controller.commit(registered)
        #expect(controller.image.brokers[4]?.fenced == true)
        // Behind its own registration record: stays fenced, no records.
        let behind = controller.brokerHeartbeat(BrokerHeartbeatSpec(brokerId: 4, brokerEpoch: 20, currentMetadataOffset: 19), now: 100)
        #expect(behind.records.isEmpty)
        #expect(behind.response == BrokerHeartbeatResult(isCaughtUp: false, isFenced: true))
        let caughtUp = controller.brokerHeartbeat(BrokerHeartbeatSpec(brokerId: 4, brokerEpoch: 20, currentMetadataOffset: 20), now: 200)
        #expect(caughtUp.response == BrokerHeartbeatResult(isCaughtUp: true, isFenced: false))
        try controller.commit(caughtUp)
        #expect(controller.image.brokers[4]?.fenced == false)
        // Unfenced and caught up: a heartbeat only renews the session.
        let renew = controller.brokerHeartbeat(BrokerHeartbeatSpec(brokerId: 4, brokerEpoch: 20, currentMetadataOffset: 25), now: 300)
        #expect(renew.records.isEmpty && renew.response == BrokerHeartbeatResult(isCaughtUp: true, isFenced: false))
        #expect(controller.sessions.lastContact[4] == BrokerSessions.Contact(brokerEpoch: 20, atMs: 300))
    }

    @Test func heartbeatsWithAnotherEpochAreStale() throws {
        var controller = try QuorumController.cluster(brokers: [1])
        let stale = controller.brokerHeartbeat(BrokerHeartbeatSpec(brokerId: 1, brokerEpoch: 3, currentMetadataOffset: 50), now: 0)
        #expect(stale.response.error.error == .staleBrokerEpoch)
        #expect(controller.sessions.lastContact[1] == nil)
        let unknown = controller.brokerHeartbeat(BrokerHeartbeatSpec(brokerId: 8, brokerEpoch: 3, currentMetadataOffset: 50), now: 0)
        #expect(unknown.response.error.error == .staleBrokerEpoch)
    }

    @Test func tickFencesTheSilentBrokerOnlyPastTheTimeoutAndMovesItsLeadership() throws {
        var controller = try QuorumController.cluster(brokers: [1, 2])
        var rng = SeededRandom(seed: 2)
        try controller.commit(controller.createTopics([
            CreateTopicSpec(name: "t", assignments: [.init(partitionIndex: 0, brokerIds: [1, 2])]),
        ], validateOnly: false, using: &rng))
        // The first tick starts both sessions (this controller has heard from neither yet).
        #expect(controller.tick(now: 1000).records.isEmpty)
        try controller.commit(controller.brokerHeartbeat(.init(brokerId: 2, brokerEpoch: 12, currentMetadataOffset: 99), now: 6000))
        // Exactly at the timeout broker 1 is not stale yet (Kafka fences strictly after it).
        #expect(controller.tick(now: 10_000).records.isEmpty)
        let fenced = controller.tick(now: 10_001)
        #expect(fenced.response == [1])
        try controller.commit(fenced)
        #expect(controller.image.brokers[1]?.fenced == true)
        let p = try #require(controller.image.topic(named: "t")?.partitions[0])
        #expect(p.leader == 2 && p.isr == [2])
        // Already fenced: not fenced again; broker 2 heartbeated at 6000 and is fine until 15000.
        #expect(controller.tick(now: 15_000).records.isEmpty)
        #expect(controller.tick(now: 15_001).response == [2])
    }

    @Test func aNewRegistrationStartsItsSessionAndAWantFenceHeartbeatFencesAtOnce() throws {
        var controller = try QuorumController.cluster(brokers: [])
        var rng = SeededRandom(seed: 3)
        try controller.commit(controller.execute(.registerBroker(Self.spec(5), fenced: false), context: CommandContext(now: 50_000, nextOffset: 7), using: &rng))
        #expect(controller.tick(now: 59_000).records.isEmpty)
        let fence = controller.brokerHeartbeat(.init(brokerId: 5, brokerEpoch: 7, currentMetadataOffset: 7, wantFence: true), now: 59_500)
        #expect(fence.response == BrokerHeartbeatResult(isCaughtUp: true, isFenced: true))
        try controller.commit(fence)
        #expect(controller.image.brokers[5]?.fenced == true)
    }

    /// Random heartbeats and ticks for three brokers; after every step: a broker the tick fenced had been silent
    /// past the timeout, and one that heartbeated within it is unfenced.
    @Test(arguments: [11, 12, 13, 14] as [UInt64])
    func seededSessionsOnlyFenceSilentBrokers(seed: UInt64) throws {
        var controller = try QuorumController.cluster(brokers: [1, 2, 3])
        var rng = SeededRandom(seed: seed)
        let timeout = controller.sessions.sessionTimeoutMs
        var now: Int64 = 0
        var lastHeard: [Int32: Int64] = [1: 0, 2: 0, 3: 0]
        _ = controller.tick(now: now)
        for step in 0..<400 {
            now += Int64.random(in: 0...3000, using: &rng)
            let broker = Int32.random(in: 1...3, using: &rng)
            if Bool.random(using: &rng) {
                let epoch = 10 + Int64(broker)
                try controller.commit(controller.brokerHeartbeat(
                    .init(brokerId: broker, brokerEpoch: epoch, currentMetadataOffset: 1_000), now: now))
                lastHeard[broker] = now
                #expect(controller.image.brokers[broker]?.fenced == false, "seed \(seed) step \(step)")
            } else {
                let result = controller.tick(now: now)
                for id in result.response {
                    #expect(now - lastHeard[id]! > timeout, "seed \(seed) step \(step): broker \(id) fenced too early")
                }
                #expect(result.response.count <= 1)
                try controller.commit(result)
            }
            for (id, heard) in lastHeard where now - heard <= timeout {
                #expect(controller.image.brokers[id]?.fenced == false, "seed \(seed) step \(step): broker \(id)")
            }
        }
    }
}

/// A broker that restarts (a new incarnation) after its session ran out but before a tick fenced it.
@Suite struct BrokerRestartTests {
    static func restarted(_ id: Int32) -> BrokerRegistrationSpec {
        var spec = BrokerHeartbeatTests.spec(id)
        spec.incarnationId = KafkaUUID(mostSignificantBits: 77, leastSignificantBits: UInt64(id))
        return spec
    }

    @Test func aNewIncarnationFencesTheUnfencedPreviousOneBeforeItRegisters() throws {
        var controller = try QuorumController.cluster(brokers: [1, 2, 3])
        var rng = SeededRandom(seed: 5)
        try controller.commit(controller.createTopics([
            CreateTopicSpec(name: "t", assignments: [.init(partitionIndex: 0, brokerIds: [1, 2, 3])]),
        ], validateOnly: false, using: &rng))
        let before = try #require(controller.image.topic(named: "t")?.partitions[0])
        #expect(before.leader == 1 && before.isr == [1, 2, 3])
        // No heartbeat from broker 1 for longer than the session: a new incarnation registers before any tick.
        let r = controller.execute(.registerBroker(Self.restarted(1)), context: CommandContext(now: 60_000, nextOffset: 500), using: &rng)
        guard case .brokerRegistration(let reply) = r.response else { Issue.record("\(r.response)"); return }
        #expect(reply.error.isSuccess && reply.brokerEpoch == 500)
        try controller.commit(r)
        let after = try #require(controller.image.topic(named: "t")?.partitions[0])
        #expect(after.leader != 1 && after.leader != -1, "the previous incarnation kept its leadership")
        #expect(after.leaderEpoch > before.leaderEpoch)
        #expect(!after.isr.contains(1) && after.isr.count == 2)
        #expect(controller.image.brokers[1]?.fenced == true && controller.image.brokers[1]?.epoch == 500)
    }

    @Test func aNewIncarnationOfAFencedBrokerChangesNoPartition() throws {
        var controller = try QuorumController.cluster(brokers: [1, 2])
        var rng = SeededRandom(seed: 6)
        try controller.commit(controller.createTopics([
            CreateTopicSpec(name: "t", assignments: [.init(partitionIndex: 0, brokerIds: [1, 2])]),
        ], validateOnly: false, using: &rng))
        let epoch = try #require(controller.image.brokers[1]?.epoch)
        try controller.commit(controller.fenceBroker(1, brokerEpoch: epoch))
        let fenced = try #require(controller.image.topic(named: "t")?.partitions[0])
        let r = controller.execute(.registerBroker(Self.restarted(1)), context: CommandContext(now: 60_000, nextOffset: 600), using: &rng)
        #expect(r.records.count == 1, "only the registration: \(r.records)")
        try controller.commit(r)
        #expect(controller.image.topic(named: "t")?.partitions[0] == fenced)
    }
}
