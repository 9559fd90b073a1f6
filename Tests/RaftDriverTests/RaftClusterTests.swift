import Foundation
import KafkaProtocol
import KafkaRaft
@testable import KafkaServer
import NIOCore
import Testing

/// Three real RaftDrivers on loopback: election, replication, leader loss (graceful and crash), restart and
/// catch-up (from the log and from a snapshot). Conditions are awaited with generous bounds; times are printed,
/// never asserted. The seed (election jitter) is printed; `RAFT_DRIVER_SEED=<n>` replays it.
@Suite(.serialized)
struct RaftClusterTests {
    static var seed: UInt64 { ProcessInfo.processInfo.environment["RAFT_DRIVER_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0..<1_000_000) }

    /// Every running node has applied up to the leader's high watermark and holds the same records and log.
    func converged(_ cluster: RaftTestCluster, values expected: Int) async -> Bool {
        guard let leader = await cluster.agreedLeader(), let hw = await leader.highWatermark else { return false }
        let reference = await cluster.values(leader)
        guard reference.count == expected else { return false }
        for d in cluster.running {
            guard await d.applied >= hw, await cluster.values(d) == reference else { return false }
        }
        return true
    }

    /// The logs agree batch for batch (bytes) over the offsets every node holds.
    func logsIdentical(_ cluster: RaftTestCluster) async -> Bool {
        var logs: [RaftLog] = []
        for d in cluster.running { logs.append(await d.log) }
        let from = logs.map(\.startOffset).max() ?? 0
        let to = logs.map(\.endOffset).min() ?? 0
        let slices = logs.map { Array($0.batches(from: from, to: to)) }
        return slices.allSatisfy { $0 == slices[0] } && !slices[0].isEmpty
    }

    func leaderLoss(crash: Bool) async throws {
        try await RaftTestCluster.run(seed: Self.seed) { try await leaderLoss($0, crash: crash) }
    }

    func leaderLoss(_ cluster: RaftTestCluster, crash: Bool) async throws {
        try await cluster.startAll()
        #expect(await waitFor("first election") { await cluster.agreedLeader() != nil } != nil)

        let appendStart = ContinuousClock.now
        let last = try await cluster.append(1000, prefix: "a")
        print("[raft-driver-test] 1,000 appends committed at the leader, last offset \(last): \(appendStart.duration(to: .now))")
        #expect(await waitFor("1,000 records applied on all three") { await converged(cluster, values: 1000) } != nil)
        #expect(await logsIdentical(cluster))
        let values = await cluster.values(cluster.running[0])
        #expect(Set(values) == Set((0..<1000).map { "a-\($0)" }))

        let old = try #require(await cluster.agreedLeader())
        let oldId = old.nodeId
        let oldEpoch = await old.leaderAndEpoch.epoch
        let stopStart = ContinuousClock.now
        await cluster.stop(oldId, crash: crash)
        // A graceful stop returns once the successor announced itself; the election time is both parts.
        print("[raft-driver-test] node \(oldId) \(crash ? "crashed" : "shut down") in \(stopStart.duration(to: .now))")
        let elected = await waitFor("new leader after the leader \(crash ? "crashed" : "shut down")") {
            guard let l = await cluster.agreedLeader() else { return false }
            return await l.leaderAndEpoch.epoch > oldEpoch
        }
        #expect(elected != nil)
        print("[raft-driver-test] leader stop to new leader: \(stopStart.duration(to: .now))")

        _ = try await cluster.append(200, prefix: "b")
        #expect(await waitFor("200 more applied on the two survivors") { await converged(cluster, values: 1200) } != nil)

        try await cluster.start(oldId)
        #expect(await waitFor("restarted node \(oldId) caught up") { await converged(cluster, values: 1200) } != nil)
        #expect(await logsIdentical(cluster))
        _ = try await cluster.append(10, prefix: "c")
        #expect(await waitFor("appends after the restart on all three") { await converged(cluster, values: 1210) } != nil)
    }

    @Test func electsReplicatesAndSurvivesAGracefulLeaderStop() async throws {
        try await leaderLoss(crash: false)
    }

    @Test func survivesALeaderCrash() async throws {
        try await leaderLoss(crash: true)
    }

    @Test func laggingNodeCatchesUpFromASnapshot() async throws {
        try await RaftTestCluster.run(seed: Self.seed, tune: { c in
            c.raft.maxBytesBetweenSnapshots = 4096
            c.logConfig.segmentBytes = 8192
        }) { try await snapshotCatchUp($0) }
    }

    func snapshotCatchUp(_ cluster: RaftTestCluster) async throws {
        try await cluster.startAll()
        #expect(await waitFor("first election") { await cluster.agreedLeader() != nil } != nil)
        _ = try await cluster.append(100, prefix: "a")
        #expect(await waitFor("100 applied") { await converged(cluster, values: 100) } != nil)

        let leader = try #require(await cluster.agreedLeader())
        let lagging = try #require(cluster.ids.first { $0 != leader.nodeId })
        let laggingEnd = try #require(await cluster.driver(lagging)?.log.endOffset)
        await cluster.stop(lagging, crash: true)

        _ = try await cluster.append(1000, prefix: "b")
        #expect(await waitFor("the leader's log starts after the stopped node's end") {
            guard let l = await cluster.agreedLeader() else { return false }
            return await l.log.startOffset > laggingEnd
        } != nil)

        try await cluster.start(lagging)
        let restarted = try #require(cluster.driver(lagging))
        #expect(await waitFor("node \(lagging) caught up from a snapshot") { await converged(cluster, values: 1100) } != nil)
        let snapshot = try #require(await restarted.latestSnapshot)
        #expect(snapshot.endOffset > laggingEnd)
        let files = try FileManager.default.contentsOfDirectory(atPath: cluster.dir(lagging) + "/__cluster_metadata-0")
        #expect(files.contains(SnapshotFile.fileName(snapshot)))
        let values = await cluster.values(restarted)
        #expect(Set(values) == Set((0..<100).map { "a-\($0)" } + (0..<1000).map { "b-\($0)" }))
    }

    @Test func observerReplicatesAndDescribeQuorumListsEveryone() async throws {
        try await RaftTestCluster.run(seed: Self.seed) { try await observerAndDescribeQuorum($0) }
    }

    func observerAndDescribeQuorum(_ cluster: RaftTestCluster) async throws {
        try await cluster.startAll()
        try await cluster.startObserver(4)
        let observer = try #require(cluster.observers[4]?.driver)
        #expect(await waitFor("first election") { await cluster.agreedLeader() != nil } != nil)
        _ = try await cluster.append(300, prefix: "o")
        #expect(await waitFor("300 applied on the voters") { await converged(cluster, values: 300) } != nil)
        let leader = try #require(await cluster.agreedLeader())
        let reference = await cluster.values(leader)
        #expect(await waitFor("the observer applied the same 300") { await cluster.values(observer) == reference } != nil)
        // An observer never leads; it follows the leader it discovered by fetching from a voter.
        let observerLeader = await observer.leaderAndEpoch
        #expect(observerLeader == (await leader.leaderAndEpoch))

        // DescribeQuorum on the leader's controller listener, as kafka-metadata-quorum sends it.
        let port = try #require(cluster.voters.first { $0.id == leader.nodeId }?.port)
        let client = try await TestWireClient.connect(port: port, group: cluster.group)
        var request = DescribeQuorumRequest()
        var topic = DescribeQuorumRequest.TopicData()
        topic.topicName = "__cluster_metadata"
        topic.partitions = [DescribeQuorumRequest.PartitionData()]
        request.topics = [topic]
        let answer = try await client.send(request, version: 1, correlationId: 9)
        await client.close()
        let response = try #require(answer as? DescribeQuorumResponse)
        let partition = try #require(response.topics.first?.partitions.first)
        #expect(partition.errorCode == 0)
        #expect(partition.leaderId == leader.nodeId)
        #expect(partition.currentVoters.map(\.replicaId).sorted() == [1, 2, 3])
        #expect(partition.observers.map(\.replicaId) == [4])
        #expect(partition.highWatermark > 300)
    }
}
