import Foundation
import KafkaMetadata
import KafkaProtocol
import NIOCore
import Testing

/// Kafka 3.7.1's own metadata snapshots (`.checkpoint` files of the captured three-node cluster and of the single
/// node): every one loads into our image, and a snapshot plus the log records after it gives Kafka's next snapshot.
@Suite struct RealSnapshotTests {
    static var clusterDirectory: String { "\(capturesDirectory)/cluster" }

    /// Every captured metadata `.checkpoint`, by path.
    static var checkpointPaths: [String] {
        let dirs = ["\(capturesDirectory)/__cluster_metadata-0"]
            + (1...3).map { "\(clusterDirectory)/node-\($0)/__cluster_metadata-0" }
        return dirs.flatMap { dir in listDirectory(dir).filter { $0.hasSuffix(".checkpoint") }.map { "\(dir)/\($0)" } }
    }

    /// The snapshot's end offset, from its file name (`<offset>-<epoch>.checkpoint`).
    static func endOffset(_ path: String) -> Int64 {
        Int64(URL(fileURLWithPath: path).lastPathComponent.split(separator: "-")[0])!
    }

    /// The records of a snapshot file: its data batches, the SnapshotHeader/Footer control batches skipped.
    static func snapshotRecords(_ path: String) throws -> [MetadataRecord] {
        try RealMetadataLogTests.metadataValues(path).map { try MetadataRecord.decode($0) }
    }

    /// The data records of a node's metadata log segments with their offsets.
    static func logRecords(node: Int) throws -> [(offset: Int64, record: MetadataRecord)] {
        let dir = "\(clusterDirectory)/node-\(node)/__cluster_metadata-0"
        var out: [(Int64, MetadataRecord)] = []
        for name in listDirectory(dir) where name.hasSuffix(".log") {
            var iterator = RecordBatchIterator(try #require(readFixture("\(dir)/\(name)")))
            while let batch = try iterator.next() {
                if batch.header.isControl { continue }
                let base = batch.header.baseOffset
                try batch.forEachRecord { r in
                    if let value = r.value { out.append((base + Int64(r.offsetDelta), try MetadataRecord.decode(value))) }
                }
            }
        }
        return out.sorted { $0.0 < $1.0 }
    }

    @Test func capturedCheckpointsArePresent() {
        #expect(Self.checkpointPaths.count >= 9)
    }

    @Test(arguments: checkpointPaths)
    func kafkaCheckpointLoadsIntoAnImage(path: String) throws {
        let records = try Self.snapshotRecords(path)
        var controller = QuorumController()
        try controller.load(snapshot: records)
        let image = controller.image
        #expect(image.metadataVersion == .v3_7_IV4, "\(path)")
        // Kafka writes metadata.version first (every later record's version depends on it), as we do.
        if case .featureLevel(let f, _) = records.first { #expect(f.name == MetadataVersion.featureName) } else {
            Issue.record("\(path) does not start with a FeatureLevelRecord")
        }
        let registrations = records.filter { $0.type == RegisterBrokerRecord.apiKey }.count
        #expect(image.brokers.count == registrations, "\(path)")
        #expect(image.topicsById.count == records.filter { $0.type == TopicRecord.apiKey }.count, "\(path)")
        #expect(image.topicsById.values.map(\.partitions.count).reduce(0, +)
                == records.filter { $0.type == PartitionRecord.apiKey }.count, "\(path)")
        // Our snapshot of the image is Kafka's, record for record (same versions and fields), apart from the record
        // types the image does not hold (`.other`: controller registrations here) and the producer id block's
        // broker id (Kafka writes -1). Records are compared as a multiset: Kafka orders topics by id hash.
        func comparable(_ rs: [MetadataRecord]) -> [String] {
            rs.compactMap { r -> String? in
                if case .other = r { return nil }
                if case .producerIds(var p, let v) = r {
                    p.brokerId = -1
                    return "\(MetadataRecord.producerIds(p, version: v))"
                }
                return "\(r)"
            }.sorted()
        }
        #expect(comparable(image.snapshotRecords()) == comparable(records), "\(path)")
        if path.hasPrefix(Self.clusterDirectory) {
            // The three combined nodes, each with its listener, and the replicated test topic on all three.
            #expect(image.brokers.keys.sorted() == [1, 2, 3], "\(path)")
            #expect(image.brokers.values.allSatisfy { $0.listeners.first?.name == "PLAINTEXT" }, "\(path)")
            let repl = try #require(image.topic(named: "kraftcap-repl"), "\(path)")
            #expect(repl.partitions.count == 3)
            #expect(repl.partitions.values.allSatisfy { Set($0.replicas) == [1, 2, 3] && $0.directories.count == 3 })
        }
        print("[real-snapshot] \(URL(fileURLWithPath: path).lastPathComponent): \(records.count) records, "
              + "brokers \(image.brokers.keys.sorted()) fenced \(image.brokers.values.filter(\.fenced).map(\.id).sorted()), "
              + "topics \(image.topicsByName.map(\.name))")
    }

    /// Kafka's own snapshot at offset N plus Kafka's log records from N to M is Kafka's snapshot at M, in our
    /// image: replay after a snapshot load continues exactly where Kafka's state was.
    @Test(arguments: [1, 2, 3])
    func snapshotPlusLogGivesTheNextSnapshot(node: Int) throws {
        let dir = "\(Self.clusterDirectory)/node-\(node)/__cluster_metadata-0"
        let paths = Self.checkpointPaths.filter { $0.hasPrefix(dir + "/") }.sorted { Self.endOffset($0) < Self.endOffset($1) }
        let log = try Self.logRecords(node: node)
        let logStart = try #require(log.first?.offset)
        var pairs = 0
        for (older, newer) in zip(paths, paths.dropFirst()) where Self.endOffset(older) >= logStart {
            var controller = QuorumController()
            try controller.load(snapshot: try Self.snapshotRecords(older))
            try controller.replay(log.filter { $0.offset >= Self.endOffset(older) && $0.offset < Self.endOffset(newer) }.map(\.record))
            var expected = QuorumController()
            try expected.load(snapshot: try Self.snapshotRecords(newer))
            // Kafka's ProducerIdsImage writes broker id -1 into a snapshot (the log's record names the broker), so
            // who got the last block is the one thing the log knows and Kafka's snapshot does not.
            MetadataSnapshotTests.expectSameState(controller.image, expected.image, "node \(node): \(older) + log -> \(newer)",
                                                  producerIdBroker: false)
            // And our snapshot of that image loads back to the same state.
            var ours = QuorumController()
            try ours.load(snapshot: try MetadataSnapshotTests.throughBytes(controller.image.snapshotRecords()))
            MetadataSnapshotTests.expectSameState(ours.image, expected.image, "node \(node): our snapshot of \(newer)",
                                                  producerIdBroker: false)
            pairs += 1
        }
        print("[real-snapshot] node \(node): \(pairs) snapshot pairs checked against the log in between")
        #expect(pairs >= 1, "node \(node) has no two snapshots with the log between them")
    }
}
