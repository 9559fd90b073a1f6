import Foundation
import KafkaProtocol
import KafkaRaft
import NIOCore
import Testing

/// The files Kafka 3.7.1 left in `__cluster_metadata-0` of the 3-node cluster: `quorum-state` and the snapshot
/// `.checkpoint` files read, and write back byte for byte.
@Suite struct PersistedFileTests {
    @Test(arguments: [1, 2, 3])
    func quorumStateReadsAndWritesBackByteForByte(node: Int) throws {
        let path = "\(Captures.clusterLogDirs[node - 1])/quorum-state"
        let bytes = try #require(FileManager.default.contents(atPath: path))
        let state = try QuorumStateFile.decode(Array(bytes))
        let (data, version) = try QuorumStateFile.decodeData(Array(bytes))
        #expect(version == 0)
        #expect(data.currentVoters?.map(\.voterId) == [1, 2, 3])
        // Nodes 1 and 2 shut down last under epoch 8, led by node 2; node 3 stopped in epoch 7 under node 1.
        let expected = node == 3 ? ElectionState(epoch: 7, leaderId: 1) : ElectionState(epoch: 8, leaderId: 2)
        #expect(state == expected)
        #expect(QuorumStateFile.encode(state, voters: [1, 2, 3]) == Array(bytes))
    }

    @Test func quorumStateReadsKafka4Version1() throws {
        let text = #"{"leaderId":-1,"leaderEpoch":12,"votedId":3,"votedDirectoryId":"AAAAAAAAAAAAAAAAAAAAAA","data_version":1}"#
        #expect(try QuorumStateFile.decode(Array(text.utf8)) == ElectionState(epoch: 12, votedId: 3))
        #expect(throws: QuorumStateFile.FileError.self) { try QuorumStateFile.decode(Array("{\"leaderId\":1}".utf8)) }
    }

    static var checkpointPaths: [String] {
        Captures.clusterLogDirs.flatMap { dir in
            ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".checkpoint") }.sorted().map { "\(dir)/\($0)" }
        }
    }

    @Test func checkpointFilesArePresent() {
        #expect(Self.checkpointPaths.count >= 6)
    }

    @Test(arguments: checkpointPaths)
    func checkpointReadsAndWritesBackByteForByte(path: String) throws {
        let name = String(path.split(separator: "/").last ?? "")
        let id = try SnapshotFile.parseName(name)
        #expect(SnapshotFile.fileName(id) == name)
        let bytes = try Captures.bytes(path)
        let snapshot = try SnapshotFile.decode(bytes, id: id)
        #expect(!snapshot.batches.isEmpty)
        #expect(snapshot.batches.allSatisfy { $0.epoch == id.epoch && !$0.isControl })
        // The records are Kafka metadata records: api key (unsigned varint) then version; 68 of them per file here.
        let values = try snapshot.recordValues()
        #expect(values.count > 10)
        #expect(snapshot.lastContainedLogTimestamp > 1_700_000_000_000)
        #expect(try snapshot.encode() == bytes, "\(name) does not re-encode to the same bytes")
    }

    @Test func snapshotBuildRoundTrips() throws {
        let records = (0..<5).map { i -> ByteBuffer in var b = ByteBuffer(); b.writeInteger(Int64(i)); return b }
        let id = SnapshotId(endOffset: 42, epoch: 3)
        let file = try SnapshotFile.build(id: id, records: records, timestamp: 1000, lastContainedLogTimestamp: 999, recordsPerBatch: 2)
        #expect(file.batches.map(\.baseOffset) == [1, 3, 5])
        let decoded = try SnapshotFile.decode(try file.encode(), id: id)
        #expect(try decoded.recordValues() == records)
        #expect(decoded.lastContainedLogTimestamp == 999)
        #expect(SnapshotFile.fileName(id) == "00000000000000000042-0000000003.checkpoint")
        #expect(throws: SnapshotFile.FileError.self) { try SnapshotFile.decode(file.batches[0].bytes, id: id) }
    }
}
