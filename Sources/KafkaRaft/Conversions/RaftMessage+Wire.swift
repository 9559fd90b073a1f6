import KafkaProtocol

/// A raft message as a generated request or response, and back, with the API key it travels under.
extension RaftMessage {
    public var apiKey: ApiKey {
        switch self {
        case .voteRequest, .voteResponse: return .vote
        case .beginQuorumEpochRequest, .beginQuorumEpochResponse: return .beginQuorumEpoch
        case .endQuorumEpochRequest, .endQuorumEpochResponse: return .endQuorumEpoch
        case .fetchRequest, .fetchResponse: return .fetch
        case .fetchSnapshotRequest, .fetchSnapshotResponse: return .fetchSnapshot
        }
    }

    /// The versions Kafka 3.7's raft client uses (and this core is tested against).
    public var kafka37Version: Int16 { apiKey == .fetch ? 16 : 0 }

    /// The generated wire message for this message at `version` (only Fetch depends on it here).
    public func wireMessage(version: Int16) -> any KafkaSchema {
        switch self {
        case .voteRequest(let r): return r.wire
        case .voteResponse(let r): return r.wire
        case .beginQuorumEpochRequest(let r): return r.wire
        case .beginQuorumEpochResponse(let r): return r.beginQuorumEpochWire
        case .endQuorumEpochRequest(let r): return r.wire
        case .endQuorumEpochResponse(let r): return r.endQuorumEpochWire
        case .fetchRequest(let r): return r.wire(version: version)
        case .fetchResponse(let r): return r.wire(version: version)
        case .fetchSnapshotRequest(let r): return r.wire
        case .fetchSnapshotResponse(let r): return r.wire
        }
    }

    /// The raft message a generated wire message stands for (nil for other APIs).
    public init?(wire: any KafkaSchema) throws {
        switch wire {
        case let m as VoteRequest: self = .voteRequest(try VoteRequestData(wire: m))
        case let m as VoteResponse: self = .voteResponse(try VoteResponseData(wire: m))
        case let m as BeginQuorumEpochRequest: self = .beginQuorumEpochRequest(try BeginQuorumEpochRequestData(wire: m))
        case let m as BeginQuorumEpochResponse: self = .beginQuorumEpochResponse(try QuorumEpochResponseData(wire: m))
        case let m as EndQuorumEpochRequest: self = .endQuorumEpochRequest(try EndQuorumEpochRequestData(wire: m))
        case let m as EndQuorumEpochResponse: self = .endQuorumEpochResponse(try QuorumEpochResponseData(wire: m))
        case let m as FetchRequest: self = .fetchRequest(try FetchRequestData(wire: m))
        case let m as FetchResponse: self = .fetchResponse(try FetchResponseData(wire: m))
        case let m as FetchSnapshotRequest: self = .fetchSnapshotRequest(try FetchSnapshotRequestData(wire: m))
        case let m as FetchSnapshotResponse: self = .fetchSnapshotResponse(try FetchSnapshotResponseData(wire: m))
        default: return nil
        }
    }
}
