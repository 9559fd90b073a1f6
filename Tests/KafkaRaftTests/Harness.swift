import KafkaProtocol
import KafkaRaft
import NIOCore

/// Helpers for driving cores by hand in tests: a config, the messages an action list sends, record values.
enum Harness {
    static let clusterId = "L8ET8G9aRV6JnX4YQRBspg"

    static func config(_ id: Int32, voters: [Int32] = [1, 2, 3]) -> RaftConfig {
        RaftConfig(nodeId: id, voters: voters.map { QuorumVoter(id: $0, host: "127.0.0.1", port: 9000 + Int($0)) }, clusterId: clusterId)
    }

    static func node(_ id: Int32, voters: [Int32] = [1, 2, 3], election: ElectionState? = nil, log: RaftLog = RaftLog(),
                     now: Int64 = 0) -> RaftNode {
        RaftNode(config: config(id, voters: voters), election: election, log: log, now: now, seed: UInt64(id))
    }

    static func sends(_ actions: [RaftAction]) -> [(to: Int32, envelope: RaftEnvelope)] {
        actions.compactMap { if case .send(let to, let e) = $0 { return (to, e) } else { return nil } }
    }

    static func persisted(_ actions: [RaftAction]) -> [ElectionState] {
        actions.compactMap { if case .persistElectionState(let s) = $0 { return s } else { return nil } }
    }

    static func commits(_ actions: [RaftAction]) -> [Int64] {
        actions.compactMap { if case .commit(let o) = $0 { return o } else { return nil } }
    }

    static func value(_ n: Int64) -> ByteBuffer {
        var b = ByteBuffer()
        b.writeInteger(n)
        return b
    }

    /// A log of data batches, one record each, with these epochs.
    static func log(epochs: [Int32]) throws -> RaftLog {
        var log = RaftLog()
        for (i, e) in epochs.enumerated() {
            try log.append(try LogBatch.data(records: [value(Int64(i))], baseOffset: Int64(i), epoch: e, timestamp: 0))
        }
        return log
    }

    static func vote(_ candidate: Int32, epoch: Int32, lastOffset: Int64 = 0, lastEpoch: Int32 = 0, cluster: String? = clusterId) -> RaftEvent {
        .received(from: candidate, RaftEnvelope(correlationId: 7, message: .voteRequest(
            VoteRequestData(clusterId: cluster, candidateEpoch: epoch, candidateId: candidate, lastOffsetEpoch: lastEpoch, lastOffset: lastOffset))))
    }

    static func voteAnswer(_ actions: [RaftAction]) -> VoteResponseData? {
        for s in sends(actions) { if case .voteResponse(let r) = s.envelope.message { return r } }
        return nil
    }

    static func fetchAnswer(_ actions: [RaftAction]) -> FetchResponseData? {
        for s in sends(actions) { if case .fetchResponse(let r) = s.envelope.message { return r } }
        return nil
    }
}
