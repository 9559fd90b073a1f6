import Foundation
import KafkaMetadata
import KafkaProtocol
import KafkaRaft
@testable import KafkaServer
import NIOCore
import NIOPosix
import Testing

/// A node whose newest `.checkpoint` does not load refuses to start: its log begins at the snapshot's end, so
/// there is no state to replay it onto.
@Suite struct RaftSnapshotStartTests {
    func start(withSnapshotRecords records: [ByteBuffer]) async throws -> RaftDriver {
        let group = MultiThreadedEventLoopGroup.singleton
        let root = NSTemporaryDirectory() + "tributary-snapshot-start-\(UInt64.random(in: 0...UInt64.max))"
        let dir = root + "/__cluster_metadata-0"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let id = SnapshotId(endOffset: 5, epoch: 1)
        let file = try SnapshotFile.build(id: id, records: records, timestamp: 0, lastContainedLogTimestamp: 0)
        let bytes = try file.encode()
        _ = FileManager.default.createFile(atPath: dir + "/" + SnapshotFile.fileName(id), contents: Data(bytes.readableBytesView))
        let port = try await RaftTestCluster.freePort(group: group)
        let raft = RaftConfig(nodeId: 1, voters: [QuorumVoter(id: 1, host: "127.0.0.1", port: port)], clusterId: "U25hcHNob3RTdGFydFRl")
        let driver = try await RaftDriver.start(config: RaftDriverConfig(raft: raft, metadataLogDir: root, seed: 1),
                                                stateMachine: MetadataStateMachine(), group: group)
        await driver.crash()
        return driver
    }

    @Test func aSnapshotWhoseRecordsDoNotLoadRefusesTheStart() async throws {
        await #expect(throws: (any Error).self) {
            _ = try await start(withSnapshotRecords: [ByteBuffer(string: "not a metadata record")])
        }
    }

    @Test func aSnapshotOfMetadataRecordsLoads() async throws {
        let records = try QuorumController.bootstrapRecords(metadataVersion: .latestProduction).map { try $0.encoded() }
        let driver = try await start(withSnapshotRecords: records)
        let machine = try #require(await driver.state as? MetadataStateMachine)
        #expect(machine.image.metadataVersion == .latestProduction)
    }
}
