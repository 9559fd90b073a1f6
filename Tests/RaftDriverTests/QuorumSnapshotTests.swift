import Foundation
import KafkaMetadata
import KafkaProtocol
import KafkaRaft
@testable import KafkaServer
import Logging
import NIOCore
import NIOPosix
import Testing

/// Metadata snapshots in a real three-node quorum (KIP-630): with a small
/// `metadata.log.max.record.bytes.between.snapshots` the nodes snapshot the controller state and delete the log
/// behind it; a node that was stopped meanwhile comes back, catches up with FetchSnapshot, and serves the same
/// Metadata as the others — including the deletion of a topic it had, which only the snapshot tells it about.
extension RaftClusterTests {
    @Test func stoppedNodeCatchesUpFromAMetadataSnapshot() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let root = NSTemporaryDirectory() + "tributary-quorum-snapshot-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let nodes = try await QuorumBrokerTests.threeNodes(group: group)
        var logger = Logger(label: "quorum-snapshot-test")
        logger.logLevel = .warning
        func config(_ node: QuorumBrokerTests.Node) throws -> BrokerConfig {
            try QuorumBrokerTests.config(node, nodes: nodes, root: root, extra: [
                "metadata.log.max.record.bytes.between.snapshots=4096", "metadata.log.segment.bytes=8192",
            ])
        }
        var brokers: [Int32: Broker] = [:]
        for node in nodes {
            brokers[node.id] = try await Broker.start(config: try config(node), clusterIdFromEnvironment: QuorumBrokerTests.clusterId,
                                                      logger: logger)
        }
        #expect(await waitFor("an active controller") { await QuorumBrokerTests.activeController(brokers) != nil } != nil)
        let active = try #require(await QuorumBrokerTests.activeController(brokers))
        // All three registered and unfenced, so that new partitions are placed on every node.
        #expect(await waitFor("three unfenced brokers") { active.context.image.activeBrokerIds == [1, 2, 3] } != nil)
        #expect(try await QuorumBrokerTests.createTopic("before-stop", on: active, group: group) == 0)
        // Three partitions, so that every node hosts one (replicas are placed round-robin over the three brokers).
        #expect(try await QuorumBrokerTests.createTopic("deleted-while-away", partitions: 3, on: active, group: group) == 0)
        #expect(await waitFor("both topics on every node, each hosting a partition of the second") {
            brokers.values.allSatisfy {
                $0.context.image.topic(named: "deleted-while-away") != nil
                    && $0.context.replicas.logs.partitions.contains { $0.topic == "deleted-while-away" }
            }
        } != nil)

        // A node that is not the active controller stops (cleanly); its metadata log ends here.
        let away = try #require(nodes.first { $0.id != active.context.nodeId })
        let awayDriver = try #require(await brokers[away.id]?.context.metadata.quorum?.driver)
        let awayEnd = await awayDriver.log.endOffset
        print("[quorum-snapshot-test] node \(away.id) hosts before its stop: \(brokers[away.id]!.context.replicas.logs.partitions.map { "\($0.topic)-\($0.partition)" }.sorted())")
        await brokers[away.id]!.shutdown()
        brokers[away.id] = nil

        // Enough metadata for several snapshots; one topic it knew is deleted.
        var names: [String] = []
        for i in 0..<40 {
            let name = "while-away-\(i)"
            #expect(try await QuorumBrokerTests.createTopic(name, on: active, group: group) == 0)
            names.append(name)
        }
        #expect(try await QuorumBrokerTests.deleteTopic("deleted-while-away", on: active, group: group) == 0)
        let activeDriver = try #require(await active.context.metadata.quorum?.driver)
        #expect(await waitFor("the active controller's log starts after the stopped node's end") {
            await activeDriver.log.startOffset > awayEnd
        } != nil)
        let leaderSnapshot = try #require(await activeDriver.latestSnapshot)
        #expect(leaderSnapshot.endOffset > awayEnd)
        // The segments behind the snapshot are deleted (they rolled at 8 KiB) on the disk thread, after the core
        // moved its log start: wait for the files.
        let dir = "\(root)/node-\(active.context.nodeId)/__cluster_metadata-0"
        #expect(await waitFor("the first segment deleted behind the snapshot") {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            return !files.contains("00000000000000000000.log") && files.contains { $0.hasSuffix(".checkpoint") }
        } != nil)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        print("[quorum-snapshot-test] leader snapshot \(await activeDriver.latestSnapshot.map { "\($0)" } ?? "none"), log start \(await activeDriver.log.startOffset), "
              + "stopped node's end \(awayEnd); files: \(files.sorted())")

        // The node comes back: its own log is behind the leader's start, so it installs the leader's snapshot.
        let back = try await Broker.start(config: try config(away), clusterIdFromEnvironment: QuorumBrokerTests.clusterId, logger: logger)
        brokers[away.id] = back
        let backDriver = try #require(await back.context.metadata.quorum?.driver)
        #expect(await waitFor("node \(away.id) caught up") {
            let image = back.context.image
            return image.topic(named: "deleted-while-away") == nil && names.allSatisfy { image.topic(named: $0) != nil }
        } != nil)
        let installed = try #require(await backDriver.latestSnapshot)
        #expect(installed.endOffset > awayEnd, "node \(away.id) has snapshot \(installed)")

        // Every node answers Metadata the same: topics, partitions, leaders, replicas, ISRs.
        #expect(await waitFor("every node's Metadata agrees") {
            var answers: [[String]] = []
            for broker in brokers.values {
                guard let a = try? await QuorumBrokerTests.describeTopics(on: broker, group: group) else { return false }
                answers.append(a)
            }
            return answers.allSatisfy { $0 == answers[0] } && answers[0].count == names.count + 1
        } != nil)
        let reference = try await QuorumBrokerTests.describeTopics(on: active, group: group)
        let restarted = try await QuorumBrokerTests.describeTopics(on: back, group: group)
        #expect(restarted == reference)
        print("[quorum-snapshot-test] node \(away.id) Metadata: \(restarted.count) topics, e.g. \(restarted.prefix(2))")
        // The deleted topic's log is gone from the node that was away: it never replayed the deletion, the snapshot
        // just lacks the topic (its log's topic id is not in the snapshot).
        let hostedBack = back.context.replicas.logs.partitions
        print("[quorum-snapshot-test] node \(away.id) hosts \(hostedBack.map { "\($0.topic)-\($0.partition)" }.sorted())")
        #expect(!hostedBack.contains { $0.topic == "deleted-while-away" })

        for broker in brokers.values { await broker.shutdown() }
        try? await group.shutdownGracefully()
        try? FileManager.default.removeItem(atPath: root)
    }
}

extension QuorumBrokerTests {
    static func deleteTopic(_ name: String, on broker: Broker, group: any EventLoopGroup) async throws -> Int16? {
        let port = try await clientPort(broker)
        let client = try await TestWireClient.connect(port: port, group: group)
        var request = DeleteTopicsRequest()
        request.topicNames = [name]
        request.timeoutMs = 30_000
        let response = try await client.send(request, version: 5, correlationId: 1) as? DeleteTopicsResponse
        await client.close()
        return response?.responses.first?.errorCode
    }

    /// A broker's Metadata answer for every topic, one line per partition: name, index, leader, replicas, ISR.
    static func describeTopics(on broker: Broker, group: any EventLoopGroup) async throws -> [String] {
        let port = try await clientPort(broker)
        let client = try await TestWireClient.connect(port: port, group: group)
        var request = MetadataRequest()
        request.topics = nil
        let response = try #require(try await client.send(request, version: 12, correlationId: 1) as? MetadataResponse)
        await client.close()
        return response.topics.filter { $0.errorCode == 0 }.flatMap { t in
            t.partitions.map { p in "\(t.name ?? "?")-\(p.partitionIndex) leader \(p.leaderId) replicas \(p.replicaNodes) isr \(p.isrNodes)" }
        }.sorted()
    }
}
