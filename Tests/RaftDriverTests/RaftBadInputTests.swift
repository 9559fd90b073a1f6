import Foundation
import KafkaProtocol
import KafkaRaft
@testable import KafkaServer
import Testing

/// Requests the controller listener must refuse with Kafka's error codes, changing nothing: `quorum-state` keeps
/// its bytes and the node its epoch and leader. A valid Vote afterwards does change it (the check can fail).
@Suite struct RaftBadInputTests {
    @Test func refusedRequestsChangeNothing() async throws {
        try await RaftTestCluster.run(seed: 7, tune: { c in
            // Node 1 follows node 2 (down) in epoch 5 and must not time out into an election during the test.
            c.raft.fetchTimeoutMs = 600_000
            c.raft.electionTimeoutMs = 600_000
        }) { try await refusals($0) }
    }

    func refusals(_ cluster: RaftTestCluster) async throws {
        let stateDir = cluster.dir(1) + "/__cluster_metadata-0"
        try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true)
        let statePath = stateDir + "/quorum-state"
        let seeded = QuorumStateFile.encode(ElectionState(epoch: 5, leaderId: 2), voters: cluster.ids)
        try Data(seeded).write(to: URL(fileURLWithPath: statePath))
        try await cluster.start(1)
        let driver = try #require(cluster.driver(1))
        let client = try await TestWireClient.connect(port: cluster.voters[0].port, group: cluster.group)
        let id = RaftTestCluster.clusterId
        var cid: Int32 = 100

        func unchanged() async throws -> Bool {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: statePath))
            let leader = await driver.leaderAndEpoch
            return Array(bytes) == seeded && leader == LeaderAndEpoch(leaderId: 2, epoch: 5)
        }

        func vote(cluster: String?, epoch: Int32, candidate: Int32) async throws -> VoteResponseData? {
            cid += 1
            let request = RaftMessage.voteRequest(VoteRequestData(clusterId: cluster, candidateEpoch: epoch, candidateId: candidate,
                                                                  lastOffsetEpoch: 0, lastOffset: 0))
            guard case .voteResponse(let r) = try await client.send(request, correlationId: cid) else { return nil }
            return r
        }

        let otherCluster = try #require(try await vote(cluster: "SomeOtherCluster000000", epoch: 6, candidate: 3))
        #expect(otherCluster.errorCode == .inconsistentClusterId && !otherCluster.voteGranted)
        #expect(try await unchanged())

        let nonVoter = try #require(try await vote(cluster: id, epoch: 6, candidate: 7))
        #expect(nonVoter.partitionError == .inconsistentVoterSet && !nonVoter.voteGranted)
        #expect(try await unchanged())

        let stale = try #require(try await vote(cluster: id, epoch: 4, candidate: 3))
        #expect(stale.partitionError == .fencedLeaderEpoch && !stale.voteGranted)
        #expect(try await unchanged())

        cid += 1
        let begin = try await client.send(.beginQuorumEpochRequest(BeginQuorumEpochRequestData(
            clusterId: "SomeOtherCluster000000", leaderId: 3, leaderEpoch: 6)), correlationId: cid)
        guard case .beginQuorumEpochResponse(let b) = begin else { Issue.record("no BeginQuorumEpoch answer"); return }
        #expect(b.errorCode == .inconsistentClusterId)
        #expect(try await unchanged())

        cid += 1
        let end = try await client.send(.endQuorumEpochRequest(EndQuorumEpochRequestData(
            clusterId: id, leaderId: 3, leaderEpoch: 4, preferredSuccessors: [1])), correlationId: cid)
        guard case .endQuorumEpochResponse(let e) = end else { Issue.record("no EndQuorumEpoch answer"); return }
        #expect(e.partitionError == .fencedLeaderEpoch)
        #expect(try await unchanged())

        cid += 1
        let fetch = try await client.send(.fetchRequest(FetchRequestData(
            clusterId: "SomeOtherCluster000000", replicaId: 3, maxWaitMs: 0, maxBytes: 1024, currentLeaderEpoch: 5,
            fetchOffset: 0, lastFetchedEpoch: 0)), correlationId: cid)
        guard case .fetchResponse(let f) = fetch else { Issue.record("no Fetch answer"); return }
        #expect(f.errorCode == .inconsistentClusterId)
        #expect(try await unchanged())

        // ApiVersions on the controller listener advertises exactly the raft APIs (and itself).
        cid += 1
        let versions = try await client.send(ApiVersionsRequest(), version: 3, correlationId: cid) as? ApiVersionsResponse
        let keys = Set((versions?.apiKeys ?? []).map(\.apiKey))
        #expect(keys == Set([ApiKey.vote, .beginQuorumEpoch, .endQuorumEpoch, .fetch, .fetchSnapshot, .describeQuorum, .apiVersions].map(\.rawValue)))

        // The control: a valid Vote for epoch 6 from an up-to-date voter is granted and persisted first.
        let valid = try #require(try await vote(cluster: id, epoch: 6, candidate: 3))
        #expect(valid.voteGranted)
        let after = try QuorumStateFile.decode(Array(try Data(contentsOf: URL(fileURLWithPath: statePath))))
        #expect(after == ElectionState(epoch: 6, votedId: 3))
        await client.close()
    }
}
