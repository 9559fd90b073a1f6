import Foundation
import KafkaMetadata
import KafkaProtocol
@testable import KafkaServer
import Logging
import NIOCore
import NIOPosix
import Testing

/// Helpers of `RaftClusterTests.threeCombinedNodesElectOneControllerAndAgreeOnTopics`.
enum QuorumBrokerTests {
    static let clusterId = "UXVvcnVtQnJva2VyVGVzdA"

    struct Node {
        let id: Int32
        let clientPort: Int
        let controllerPort: Int
    }

    /// Nodes 1-3, each with a free client and controller port.
    static func threeNodes(group: any EventLoopGroup) async throws -> [Node] {
        var nodes: [Node] = []
        for id in Int32(1)...3 {
            nodes.append(Node(id: id, clientPort: try await RaftTestCluster.freePort(group: group),
                              controllerPort: try await RaftTestCluster.freePort(group: group)))
        }
        return nodes
    }

    static func config(_ node: Node, nodes: [Node], root: String, extra: [String] = []) throws -> BrokerConfig {
        let voters = nodes.map { "\($0.id)@127.0.0.1:\($0.controllerPort)" }.joined(separator: ",")
        return try BrokerConfig.load(overrides: [
            "process.roles=broker,controller", "node.id=\(node.id)", "controller.listener.names=CONTROLLER",
            "listeners=PLAINTEXT://127.0.0.1:\(node.clientPort),CONTROLLER://127.0.0.1:\(node.controllerPort)",
            "advertised.listeners=PLAINTEXT://127.0.0.1:\(node.clientPort)",
            "log.dirs=\(root)/node-\(node.id)", "controller.quorum.voters=\(voters)",
        ] + extra).config
    }

    /// The node that is the active controller with its own broker registered and unfenced.
    static func activeController(_ brokers: [Int32: Broker]) async -> Broker? {
        for broker in brokers.values.sorted(by: { $0.context.nodeId < $1.context.nodeId }) {
            let id = broker.context.nodeId
            if await broker.context.metadata.isActiveController, broker.context.image.brokers[id]?.fenced == false {
                return broker
            }
        }
        return nil
    }

    /// The broker's PLAINTEXT port, once bound: a broker of a quorum binds its client listener once registered and
    /// caught up.
    static func clientPort(_ broker: Broker) async throws -> Int {
        try await broker.waitUntilServing()
        return try #require(broker.boundPorts["PLAINTEXT"])
    }

    static func createTopic(_ name: String, partitions: Int32 = 1, on broker: Broker, group: any EventLoopGroup) async throws -> Int16? {
        let port = try await clientPort(broker)
        let client = try await TestWireClient.connect(port: port, group: group)
        var request = CreateTopicsRequest()
        var topic = CreateTopicsRequest.CreatableTopic()
        topic.name = name
        topic.numPartitions = partitions
        topic.replicationFactor = 1
        request.topics = [topic]
        let response = try await client.send(request, version: 7, correlationId: 1) as? CreateTopicsResponse
        await client.close()
        return response?.topics.first?.errorCode
    }
}

/// Three combined broker+controller nodes in this process with a three-voter `controller.quorum.voters`: one
/// KRaft quorum whose leader is the active controller, every node replaying the committed metadata log.
///
/// A member of the serialized `RaftClusterTests` (its raft clusters do not run beside it). The last node's shutdown
/// found a hang: as the leader of a quorum with no majority left, its fencing heartbeat's append never committed;
/// the controller now stops waiting when it stops being active (check quorum resigns it).
extension RaftClusterTests {
    @Test func threeCombinedNodesElectOneControllerAndAgreeOnTopics() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let root = NSTemporaryDirectory() + "tributary-quorum-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let nodes = try await QuorumBrokerTests.threeNodes(group: group)
        var logger = Logger(label: "quorum-test")
        logger.logLevel = .warning
        var brokers: [Int32: Broker] = [:]
        for node in nodes {
            brokers[node.id] = try await Broker.start(
                config: try QuorumBrokerTests.config(node, nodes: nodes, root: root), clusterIdFromEnvironment: QuorumBrokerTests.clusterId,
                logger: logger)
        }

        // One leader is elected; it bootstraps the log, and its broker registers with it.
        #expect(await waitFor("first active controller") { await QuorumBrokerTests.activeController(brokers) != nil } != nil)
        let first = try #require(await QuorumBrokerTests.activeController(brokers))
        let firstId = first.context.nodeId
        let actives = await brokers.values.asyncCount { await $0.context.metadata.isActiveController }
        #expect(actives == 1)

        // A broker that is not the active controller forwards the request to the one that is (KRaft's forwarding);
        // the active one serves its own; every node's image shows both topics.
        let follower = try #require(brokers.values.first { $0.context.nodeId != firstId })
        #expect(try await QuorumBrokerTests.createTopic("forwarded", on: follower, group: group) == 0)
        #expect(try await QuorumBrokerTests.createTopic("quorum-a", on: first, group: group) == 0)
        #expect(try await QuorumBrokerTests.createTopic("forwarded", on: first, group: group) == KafkaError.topicAlreadyExists.rawValue)
        #expect(await waitFor("quorum-a and forwarded on every node") {
            brokers.values.allSatisfy { $0.context.image.topic(named: "quorum-a") != nil && $0.context.image.topic(named: "forwarded") != nil }
        } != nil)
        #expect(brokers.values.allSatisfy { $0.context.metadata.activeController(else: -2) == firstId })

        // The leader stops; another node becomes the active controller with the state it replayed.
        await first.shutdown()
        brokers[firstId] = nil
        #expect(await waitFor("second active controller") { await QuorumBrokerTests.activeController(brokers) != nil } != nil)
        let second = try #require(await QuorumBrokerTests.activeController(brokers))
        #expect(second.context.nodeId != firstId)
        #expect(second.context.image.topic(named: "quorum-a") != nil)
        #expect(try await QuorumBrokerTests.createTopic("quorum-a", on: second, group: group) == KafkaError.topicAlreadyExists.rawValue)
        // Forwarded from the remaining follower to the new active controller.
        let other = try #require(brokers.values.first { $0.context.nodeId != second.context.nodeId })
        #expect(try await QuorumBrokerTests.createTopic("quorum-b", on: other, group: group) == 0)
        #expect(await waitFor("quorum-b on both remaining nodes") {
            brokers.values.allSatisfy { $0.context.image.topic(named: "quorum-b") != nil }
        } != nil)

        for broker in brokers.values { await broker.shutdown() }
        try? await group.shutdownGracefully()
        try? FileManager.default.removeItem(atPath: root)
    }
}

extension Sequence where Element: Sendable {
    func asyncCount(_ predicate: (Element) async -> Bool) async -> Int {
        var n = 0
        for e in self where await predicate(e) { n += 1 }
        return n
    }
}
