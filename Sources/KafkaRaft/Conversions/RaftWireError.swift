import KafkaProtocol

/// Why a wire message cannot be one of the quorum's: Kafka answers such a request with INVALID_REQUEST
/// (its `hasValidTopicPartition`).
public enum RaftWireError: Error, Equatable, CustomStringConvertible {
    /// The request does not name exactly `__cluster_metadata` partition 0.
    case notTheMetadataPartition
    /// An error code this build does not know.
    case unknownErrorCode(Int16)

    public var description: String {
        switch self {
        case .notTheMetadataPartition: return "request is not for exactly one partition, \(RaftConfig.topicName)-\(RaftConfig.partition)"
        case .unknownErrorCode(let c): return "unknown error code \(c)"
        }
    }
}

extension KafkaError {
    /// The error for a wire code (unknown codes are refused rather than guessed).
    static func fromWire(_ code: Int16) throws -> KafkaError {
        guard let e = KafkaError(rawValue: code) else { throw RaftWireError.unknownErrorCode(code) }
        return e
    }
}

/// The only element of a one-element array, for the single topic and partition raft messages carry.
func onlyElement<T>(_ items: [T]) throws -> T {
    guard items.count == 1, let item = items.first else { throw RaftWireError.notTheMetadataPartition }
    return item
}

extension LeaderAndEpoch {
    init(wireLeaderId: Int32, epoch: Int32) {
        self.init(leaderId: wireLeaderId >= 0 ? wireLeaderId : nil, epoch: epoch)
    }
}
