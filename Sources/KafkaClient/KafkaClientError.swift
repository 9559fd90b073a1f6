import KafkaProtocol

/// Why a client operation failed. Broker errors carry Kafka's error code (its name is in the description), the
/// broker that answered and the topic or resource it concerned, so a message can say all three.
public enum KafkaClientError: Error, Sendable, CustomStringConvertible {
    /// The broker answered with an error code. `context` names the topic, partition or resource.
    case broker(KafkaError, message: String?, broker: Int32?, context: String)
    /// No broker could be reached, or the request timed out or lost its connection.
    case network(String)
    /// The broker and this client share no version of an API the operation needs.
    case unsupportedVersion(api: String, broker: String)
    /// The operation did not finish within its timeout (`default.api.timeout.ms`, `delivery.timeout.ms`).
    case timedOut(String)
    /// A configuration value or argument is invalid.
    case invalidConfig(String)
    /// The client was closed.
    case closed

    public var description: String {
        switch self {
        case .broker(let error, let message, let broker, let context):
            let by = broker.map { " (broker \($0))" } ?? ""
            let detail = message.flatMap { $0.isEmpty ? nil : ": \($0)" } ?? ""
            return "\(error.name) for \(context)\(by)\(detail)"
        case .network(let s): return s
        case .unsupportedVersion(let api, let broker): return "broker \(broker) supports no \(api) version this client speaks"
        case .timedOut(let s): return "timed out: \(s)"
        case .invalidConfig(let s): return s
        case .closed: return "the client is closed"
        }
    }

    /// The Kafka error code, when a broker gave one.
    public var kafkaError: KafkaError? {
        if case .broker(let e, _, _, _) = self { return e }
        return nil
    }

    /// Whether retrying may succeed: a retriable Kafka error or a network failure.
    public var isRetriable: Bool {
        switch self {
        case .broker(let e, _, _, _): return e.isRetriable
        case .network: return true
        default: return false
        }
    }

    /// Whether the client's metadata is stale: the leader moved or the topic is not known yet.
    public var invalidatesMetadata: Bool {
        switch self {
        case .broker(let e, _, _, _): return e.invalidatesMetadata
        case .network: return true
        default: return false
        }
    }
}

extension KafkaError {
    /// Kafka's `RetriableException` subclasses: the errors a client retries after a backoff.
    public var isRetriable: Bool {
        switch self {
        case .corruptMessage, .unknownTopicOrPartition, .leaderNotAvailable, .notLeaderOrFollower, .requestTimedOut,
             .replicaNotAvailable, .networkException, .coordinatorLoadInProgress, .coordinatorNotAvailable,
             .notCoordinator, .notEnoughReplicas, .notEnoughReplicasAfterAppend, .notController, .kafkaStorageError,
             .fetchSessionIdNotFound, .invalidFetchSessionEpoch, .listenerNotFound, .fencedLeaderEpoch,
             .unknownLeaderEpoch, .offsetNotAvailable, .preferredLeaderNotAvailable, .concurrentTransactions,
             .unstableOffsetCommit, .throttlingQuotaExceeded, .eligibleLeadersNotAvailable:
            return true
        default:
            return false
        }
    }

    /// The errors after which the Java client requests a metadata update before retrying (a leader moved, a
    /// topic is still being created, the node asked is not the controller).
    public var invalidatesMetadata: Bool {
        switch self {
        case .notLeaderOrFollower, .leaderNotAvailable, .unknownTopicOrPartition, .fencedLeaderEpoch,
             .unknownLeaderEpoch, .notController, .kafkaStorageError, .replicaNotAvailable, .listenerNotFound:
            return true
        default:
            return false
        }
    }
}
