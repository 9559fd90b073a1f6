import KafkaProtocol
import KafkaRaft
import NIOCore
import Testing

/// Every raft frame Kafka 3.7.1's nodes exchanged (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch, FetchSnapshot,
/// requests and responses) converts to the core's message and back to the same bytes.
@Suite struct WireConversionTests {
    @Test func raftFramesArePresent() {
        let keys = Set(Captures.raftFrames.map(\.api_key))
        #expect(Captures.raftFrames.count > 100)
        #expect(keys == Set([ApiKey.vote, .beginQuorumEpoch, .endQuorumEpoch, .fetch, .fetchSnapshot].map(\.rawValue)))
    }

    @Test(arguments: Captures.raftFrames)
    func capturedFrameSurvivesConversion(_ frame: Captures.Frame) throws {
        let wire = try Captures.body(frame)
        let original = try Captures.encode(wire, version: frame.api_version)
        let message = try #require(try RaftMessage(wire: wire))
        #expect(message.isRequest == (frame.dir == "req"))
        #expect(message.apiKey.rawValue == frame.api_key)
        #expect(message.kafka37Version == frame.api_version)
        let back = try Captures.encode(message.wireMessage(version: frame.api_version), version: frame.api_version)
        #expect(back == original, "\(frame) changes through the core's message")
    }

    /// A captured vote names candidate 1 in epoch 7 with its log end, as the index says.
    @Test func capturedVoteRequestReadsAsKafkaWroteIt() throws {
        let frame = try #require(Captures.raftFrames.first { $0.folder == "ctrl-3" && $0.file == "0001394-Vote-v0-req.bin" })
        guard case .voteRequest(let vote)? = try RaftMessage(wire: try Captures.body(frame)) else {
            Issue.record("not a vote request")
            return
        }
        #expect(vote == VoteRequestData(clusterId: "L8ET8G9aRV6JnX4YQRBspg", candidateEpoch: 7, candidateId: 1, lastOffsetEpoch: 6, lastOffset: 837))
    }

    /// The Fetch response that sent node 1 to load snapshot (629, 6), and the FetchSnapshot that got it.
    @Test func capturedSnapshotHandOff() throws {
        let fetch = try #require(Captures.raftFrames.first { $0.folder == "ctrl-3" && $0.file == "0000757-Fetch-v16-resp.bin" })
        guard case .fetchResponse(let r)? = try RaftMessage(wire: try Captures.body(fetch)) else {
            Issue.record("not a fetch response")
            return
        }
        #expect(r.snapshotId == SnapshotId(endOffset: 629, epoch: 6))
        #expect(r.currentLeader == LeaderAndEpoch(leaderId: 3, epoch: 6))
        #expect(r.records.isEmpty)
        let chunk = try #require(Captures.raftFrames.first { $0.folder == "ctrl-3" && $0.file == "0000761-FetchSnapshot-v0-resp.bin" })
        guard case .fetchSnapshotResponse(let s)? = try RaftMessage(wire: try Captures.body(chunk)) else {
            Issue.record("not a fetch snapshot response")
            return
        }
        #expect(s.size == 7442 && s.position == 0 && s.bytes.readableBytes == 7442)
        // The chunk is the snapshot file node 1 then held.
        let file = try Captures.bytes("\(Captures.clusterLogDirs[0])/00000000000000000629-0000000006.checkpoint")
        #expect(s.bytes == file)
        let snapshot = try SnapshotFile.decode(s.bytes, id: s.snapshotId)
        #expect(snapshot.batches.map(\.epoch) == [6])
    }
}
