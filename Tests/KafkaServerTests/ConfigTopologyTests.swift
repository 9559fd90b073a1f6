import Foundation
import Logging
import Testing

@testable import KafkaServer

/// Topologies that load (Kafka accepts them): a quorum of this node alone, and every node of a static quorum
/// (combined and controller-only voters, broker-only observers) run; dynamic quorums (KIP-853 bootstrap servers of
/// other nodes) are refused.
@Suite struct ConfigTopologyTests {
    private static func props(_ lines: String...) -> String { lines.joined(separator: "\n") }
    private static let combined = "process.roles=broker,controller"
    private static let controller = "controller.listener.names=CONTROLLER"
    private static let bothListeners = "listeners=PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093"

    static let runnable: [String] = [
        "",  // no configuration: the single-node profile
        kafkaQuickstartProperties,  // bootstrap servers that are this node's own controller listener
        props(combined, "node.id=1", bothListeners, controller, "controller.quorum.voters=1@localhost:9093"),
        props(combined, "node.id=7", bothListeners, controller, "controller.quorum.voters=7@127.0.0.1:9093"),
        // One combined voter of a static three-voter quorum: the metadata log is replicated by Raft.
        props(combined, "node.id=2", bothListeners, controller,
              "controller.quorum.voters=1@localhost:9093,2@localhost:9095,3@localhost:9097"),
        // A broker-only observer of controllers elsewhere, and a controller-only voter (also a quorum of one).
        props("process.roles=broker", "node.id=4", "listeners=PLAINTEXT://:9092", controller,
              "controller.quorum.voters=1@localhost:9093,2@localhost:9095,3@localhost:9097"),
        props("process.roles=controller", "node.id=1", "listeners=CONTROLLER://:9093", controller,
              "controller.quorum.voters=1@localhost:9093,2@localhost:9095,3@localhost:9097"),
        props("process.roles=controller", "node.id=1", "listeners=CONTROLLER://:9093", controller,
              "controller.quorum.voters=1@localhost:9093"),
    ]

    @Test(arguments: runnable)
    func runnableTopologiesStart(file: String) throws {
        let config = try loadConfig(file: file.isEmpty ? nil : file).config
        #expect(config.unsupportedTopology == nil, "\(String(describing: config.unsupportedTopology))")
    }

    static let refused: [(file: String, expected: [String])] = [
        // This node is not even among the voters of a combined node whose quorum is elsewhere.
        (props(kafkaQuickstartProperties, "controller.quorum.bootstrap.servers=other-host:9093"),
         ["controller.quorum.bootstrap.servers=other-host:9093", "dynamic quorums (KIP-853)", "not supported yet"]),
    ]

    @Test(arguments: refused)
    func otherTopologiesAreRefusedByName(file: String, expected: [String]) throws {
        let config = try loadConfig(file: file).config
        let refusal = try #require(config.unsupportedTopology)
        for text in expected { #expect(refusal.description.contains(text), "\(refusal)") }
    }

    @Test func brokerStartRefusesBeforeTouchingTheDirectories() async throws {
        let dir = NSTemporaryDirectory() + "tributary-topology-\(UInt64.random(in: 0...UInt64.max))"
        let config = try loadConfig(overrides: [
            "process.roles=broker,controller", "node.id=1", "controller.listener.names=CONTROLLER",
            "listeners=PLAINTEXT://localhost:0,CONTROLLER://localhost:0", "log.dirs=\(dir)",
            "controller.quorum.bootstrap.servers=other-host:19093",
        ]).config
        await #expect(throws: ConfigError.self) {
            _ = try await Broker.start(config: config, logger: Logger(label: "test"))
        }
        #expect(!FileManager.default.fileExists(atPath: dir))
    }
}
