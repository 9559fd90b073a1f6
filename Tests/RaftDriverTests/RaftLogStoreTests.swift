import Foundation
import KafkaProtocol
import KafkaRaft
@testable import KafkaServer
import KafkaStorage
import NIOCore
import Testing

/// `RaftLogStore` against the metadata log directories of the captured 3-node Kafka 3.7.1 cluster, and its own
/// round trip through the core's actions and a restart.
@Suite struct RaftLogStoreTests {
    /// `../shared/kafka-captures/log-segments/cluster` beside the repository, from this file's path (so a clone
    /// anywhere finds it).
    static let captures: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }  // Tests/RaftDriverTests/File.swift -> parent of the repo
        return url.appendingPathComponent("shared/kafka-captures/log-segments/cluster").path
    }()

    /// Copies a captured `__cluster_metadata-0` (read-only files) into a writable temporary metadata.log.dir.
    func copyOfCapture(_ node: String) throws -> String {
        let fm = FileManager.default
        let root = NSTemporaryDirectory() + "raft-store-\(UUID().uuidString)"
        let target = root + "/__cluster_metadata-0"
        try fm.createDirectory(atPath: target, withIntermediateDirectories: true)
        let source = "\(Self.captures)/\(node)/__cluster_metadata-0"
        for name in try fm.contentsOfDirectory(atPath: source) {
            let data = try Data(contentsOf: URL(fileURLWithPath: source + "/" + name))
            try data.write(to: URL(fileURLWithPath: target + "/" + name))
        }
        return root
    }

    /// What the files say, read without the store: every batch of every `.log` file, the newest `.checkpoint`
    /// name, the last line of `leader-epoch-checkpoint`, and `quorum-state`.
    struct Expected {
        var logEnd: Int64
        var lastEpoch: Int32
        var snapshot: SnapshotId
        var election: ElectionState
        var latestEpochEntry: Int32
    }

    func expected(in dir: String) throws -> Expected {
        let fm = FileManager.default
        var last: LogBatch?
        for name in try fm.contentsOfDirectory(atPath: dir).sorted() where name.hasSuffix(".log") {
            let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
            if let b = try LogBatch.parse(ByteBuffer(bytes: data)).last, b.endOffset > (last?.endOffset ?? -1) { last = b }
        }
        let snapshots = try fm.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".checkpoint") }.sorted()
        let snapshot = try SnapshotFile.parseName(try #require(snapshots.last))
        let epochs = try String(contentsOfFile: dir + "/leader-epoch-checkpoint", encoding: .utf8).split(separator: "\n")
        let lastLine = try #require(epochs.last?.split(separator: " ").first)
        let latestEpochEntry = try #require(Int32(lastLine))
        let state = try QuorumStateFile.decode(Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/quorum-state"))))
        let batch = try #require(last)
        return Expected(logEnd: batch.endOffset, lastEpoch: batch.epoch, snapshot: snapshot, election: state, latestEpochEntry: latestEpochEntry)
    }

    @Test(arguments: ["node-1", "node-2", "node-3"])
    func rebuildsTheCoreFromACapturedKafkaMetadataLog(node: String) throws {
        let root = try copyOfCapture(node)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dir = root + "/__cluster_metadata-0"
        let want = try expected(in: dir)
        let store = try RaftLogStore(logDir: root, voters: [1, 2, 3])
        let restored = try store.restore()
        print("[raft-store-test] \(node): log \(restored.log.startOffset)..<\(restored.log.endOffset), epoch \(restored.log.lastEpoch), "
              + "\(restored.log.batches.count) batches, \(restored.snapshot.map { "\($0.id)" } ?? "no snapshot"), \(restored.election.map { "\($0)" } ?? "-")")
        #expect(restored.snapshot?.id == want.snapshot)
        #expect(restored.log.startOffset == want.snapshot.endOffset)
        #expect(restored.log.endOffset == want.logEnd)
        #expect(restored.log.lastEpoch == want.lastEpoch)
        #expect(restored.log.lastEpoch == want.latestEpochEntry)
        #expect(restored.election == want.election)
        // The snapshot's bytes are the file's and decode as Kafka's checkpoint format.
        let snapshot = try #require(restored.snapshot)
        _ = try SnapshotFile.decode(snapshot.bytes, id: snapshot.id)
        // A core built from it starts where the files say (Kafka's former leader restarts resigned, a follower
        // follows its leader).
        let voters = [Int32(1), 2, 3].map { KafkaRaft.QuorumVoter(id: $0, host: "127.0.0.1", port: 1) }
        let nodeId = Int32(node.dropFirst("node-".count)) ?? 1
        let core = RaftNode(config: RaftConfig(nodeId: nodeId, voters: voters, clusterId: "L8ET8G9aRV6JnX4YQRBspg"),
                            election: restored.election, log: restored.log, snapshot: (snapshot.id, snapshot.bytes), now: 0, seed: 1)
        #expect(core.epoch == want.election.epoch)
        #expect(core.log.endOffsetAndEpoch == OffsetAndEpoch(offset: want.logEnd, epoch: want.lastEpoch))
    }

    @Test func actionsSurviveARestart() throws {
        let root = NSTemporaryDirectory() + "raft-store-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        var config = LogConfig()
        config.segmentBytes = 1024
        let store = try RaftLogStore(logDir: root, voters: [1, 2, 3], logConfig: config)
        #expect(try store.restore().election == nil)
        try store.persist(ElectionState(epoch: 3, leaderId: 1))
        var offset: Int64 = 0
        var batches: [LogBatch] = []
        for i in 0..<40 {
            let epoch: Int32 = i < 20 ? 2 : 3
            let b = try LogBatch.data(records: [ByteBuffer(string: "r\(i)"), ByteBuffer(string: "s\(i)")], baseOffset: offset, epoch: epoch, timestamp: 1)
            try store.append(b)
            batches.append(b)
            offset = b.endOffset
        }
        try store.truncate(to: 76)   // the last two batches go
        try store.flush(upTo: 76)
        let snapshotId = SnapshotId(endOffset: 20, epoch: 2)
        let file = try SnapshotFile.build(id: snapshotId, records: [ByteBuffer(string: "state")], timestamp: 1, lastContainedLogTimestamp: 1)
        try store.writeSnapshot(RaftSnapshot(id: snapshotId, bytes: try file.encode()))
        try store.deleteLog(before: snapshotId)
        try store.close()

        let reopened = try RaftLogStore(logDir: root, voters: [1, 2, 3], logConfig: config)
        let restored = try reopened.restore()
        #expect(restored.election == ElectionState(epoch: 3, leaderId: 1))
        #expect(restored.snapshot?.id == snapshotId)
        #expect(restored.log.startOffset == 20)
        #expect(restored.log.endOffset == 76)
        #expect(restored.log.batches == Array(batches[10..<38]))
        let names = try FileManager.default.contentsOfDirectory(atPath: root + "/__cluster_metadata-0")
        #expect(names.contains("quorum-state") && names.contains("leader-epoch-checkpoint") && names.contains("partition.metadata"))
        #expect(names.contains(SnapshotFile.fileName(snapshotId)))
        #expect(try String(contentsOfFile: root + "/__cluster_metadata-0/partition.metadata", encoding: .utf8)
                == "version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ\n")
        // The epoch history starts at the new log start, as in the captured files ("6 629").
        #expect(try String(contentsOfFile: root + "/__cluster_metadata-0/leader-epoch-checkpoint", encoding: .utf8) == "0\n2\n2 20\n3 40\n")

        // A follower that installs a newer snapshot: the log restarts empty at its end.
        let newer = SnapshotId(endOffset: 500, epoch: 4)
        let newerFile = try SnapshotFile.build(id: newer, records: [ByteBuffer(string: "later")], timestamp: 2, lastContainedLogTimestamp: 2)
        try reopened.install(RaftSnapshot(id: newer, bytes: try newerFile.encode()))
        let afterInstall = try reopened.restore()
        #expect(afterInstall.log.startOffset == 500 && afterInstall.log.batches.isEmpty && afterInstall.snapshot?.id == newer)
        #expect(!FileManager.default.fileExists(atPath: root + "/__cluster_metadata-0/" + SnapshotFile.fileName(snapshotId)))
    }

    /// A snapshot download a crash interrupted after the snapshot file was written but before the log was reset:
    /// the stale suffix (epochs older than the snapshot's) is cut and the log starts empty after the snapshot.
    @Test func aStaleSuffixAfterAnInstalledSnapshotIsCut() throws {
        let root = NSTemporaryDirectory() + "raft-store-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try RaftLogStore(logDir: root, voters: [1, 2, 3])
        var offset: Int64 = 0
        for i in 0..<10 {
            let b = try LogBatch.data(records: [ByteBuffer(string: "r\(i)")], baseOffset: offset, epoch: 2, timestamp: 1)
            try store.append(b)
            offset = b.endOffset
        }
        try store.flush(upTo: offset)
        let id = SnapshotId(endOffset: 4, epoch: 3)
        let file = try SnapshotFile.build(id: id, records: [ByteBuffer(string: "state")], timestamp: 1, lastContainedLogTimestamp: 1)
        try store.writeSnapshot(RaftSnapshot(id: id, bytes: try file.encode()))
        let restored = try RaftLogStore(logDir: root, voters: [1, 2, 3]).restore()
        #expect(restored.snapshot?.id == id)
        #expect(restored.log.startOffset == 4 && restored.log.batches.isEmpty && restored.log.lastEpoch == 3)

        // A snapshot beyond the log's end: the log restarts empty at its end.
        let ahead = SnapshotId(endOffset: 50, epoch: 3)
        let aheadFile = try SnapshotFile.build(id: ahead, records: [ByteBuffer(string: "later")], timestamp: 1, lastContainedLogTimestamp: 1)
        let reopened = try RaftLogStore(logDir: root, voters: [1, 2, 3])
        try reopened.writeSnapshot(RaftSnapshot(id: ahead, bytes: try aheadFile.encode()))
        let again = try RaftLogStore(logDir: root, voters: [1, 2, 3]).restore()
        #expect(again.log.startOffset == 50 && again.log.endOffset == 50 && again.snapshot?.id == ahead)
    }
}
