import KafkaRaft

// The multi-voter KRaft quorum of combined nodes (issue 10): which configurations run one, and how its Raft node
// is configured.
extension BrokerConfig {
    /// True for a combined broker+controller that is one voter of a static `controller.quorum.voters` naming other
    /// voters too: its metadata log is replicated by a `RaftDriver` on its controller listener.
    public var runsRaftQuorum: Bool {
        processRoles == [.broker, .controller] && quorumBootstrapServers.isEmpty
            && quorumVoters.contains { $0.id == nodeId } && quorumVoters.contains { $0.id != nodeId }
    }

    /// The Raft node of this voter: `controller.quorum.*` timeouts, the log in `metadata.log.dir`, the controller
    /// listener (the first of `controller.listener.names` that `listeners` binds; else this node's voter address).
    func raftDriverConfig(clusterId: String, seed: UInt64) -> RaftDriverConfig {
        let voters = quorumVoters.map { KafkaRaft.QuorumVoter(id: $0.id, host: $0.endpoint.host, port: $0.endpoint.port) }
        var raft = RaftConfig(nodeId: nodeId, voters: voters, clusterId: clusterId)
        raft.electionTimeoutMs = Int64(values.int("controller.quorum.election.timeout.ms"))
        raft.fetchTimeoutMs = Int64(values.int("controller.quorum.fetch.timeout.ms"))
        raft.electionBackoffMaxMs = Int64(values.int("controller.quorum.election.backoff.max.ms"))
        raft.appendLingerMs = Int64(values.int("controller.quorum.append.linger.ms"))
        raft.requestTimeoutMs = Int64(values.int("controller.quorum.request.timeout.ms"))
        raft.retryBackoffMs = Int64(values.int("controller.quorum.retry.backoff.ms"))
        var config = RaftDriverConfig(raft: raft, metadataLogDir: metadataLogDir, seed: seed)
        let own = quorumVoters.first { $0.id == nodeId }
        if let listener = controllerListenerNames.lazy.compactMap({ name in self.listeners.first { $0.name == name } }).first {
            config.listenerName = listener.name
            config.listenHost = listener.host ?? "0.0.0.0"
            config.listenPort = listener.port
        } else if let own {
            config.listenHost = own.endpoint.host
            config.listenPort = own.endpoint.port
        }
        return config
    }
}
