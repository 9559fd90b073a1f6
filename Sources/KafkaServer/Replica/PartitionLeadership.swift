import KafkaMetadata
import KafkaProtocol

/// Whether this node may serve a client's fetch, produce or offset lookup on a partition, by Kafka's order of
/// checks (`Partition.getLocalLog`): the client's `CurrentLeaderEpoch`, when it sent one, must be the one this
/// node knows (older: FENCED_LEADER_EPOCH, the client is behind; newer: UNKNOWN_LEADER_EPOCH, this node is);
/// then this node must lead the partition (NOT_LEADER_OR_FOLLOWER). Consumers read from leaders only: preferred
/// read replicas (KIP-392) are not offered.
enum PartitionLeadership {
    static func check(_ partition: PartitionRegistration, localId: Int32, currentLeaderEpoch: Int32 = -1) -> KafkaError {
        if currentLeaderEpoch >= 0 {
            if currentLeaderEpoch < partition.leaderEpoch { return .fencedLeaderEpoch }
            if currentLeaderEpoch > partition.leaderEpoch { return .unknownLeaderEpoch }
        }
        return partition.leader == localId ? .none : .notLeaderOrFollower
    }

    /// KIP-951: a refusal that sends the client elsewhere names the leader it should go to, so that it need not
    /// refresh its metadata first (Fetch v16+, Produce v10+; for NOT_LEADER_OR_FOLLOWER and FENCED_LEADER_EPOCH).
    static func carriesLeaderHint(_ error: KafkaError) -> Bool {
        error == .notLeaderOrFollower || error == .fencedLeaderEpoch
    }

    /// The partition's leader and its endpoint on `listener` (the listener the request came in on), or nil
    /// endpoint when the leader is unknown, fenced or has no such listener. `leader` is the leader's registration.
    static func leaderHint(_ partition: PartitionRegistration, leader broker: BrokerRegistration?, listener: String) -> LeaderHint {
        var hint = LeaderHint(leaderId: partition.leader, leaderEpoch: partition.leaderEpoch)
        if partition.leader < 0 { hint.leaderEpoch = -1 }
        if let broker, broker.id == partition.leader, !broker.fenced,
           let e = broker.listeners.first(where: { $0.name == listener }) ?? broker.listeners.first {
            hint.endpoint = LeaderHint.Endpoint(host: e.host, port: Int32(e.port), rack: broker.rack)
        }
        return hint
    }
}

/// Where a refused client should go (KIP-951's `CurrentLeader` and `NodeEndpoints`).
struct LeaderHint: Hashable, Sendable {
    struct Endpoint: Hashable, Sendable {
        var host: String
        var port: Int32
        var rack: String?
    }

    var leaderId: Int32
    var leaderEpoch: Int32
    var endpoint: Endpoint?
}
