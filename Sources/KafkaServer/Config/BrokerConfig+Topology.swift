// The topologies this node can really run today. Loading accepts every KRaft topology Kafka accepts (its own
// checks live in BrokerConfig+Validation), so that `storage format` and tools read any Kafka configuration; the
// server refuses those it would only pretend to run.
extension BrokerConfig {
    /// Why this node cannot start with this configuration yet, or nil when it can: a combined broker+controller
    /// whose quorum is this node alone; or any node of a static `controller.quorum.voters` quorum
    /// (`runsRaftQuorum`): a combined or controller-only voter, or a broker-only observer.
    ///
    /// What is left is a dynamic quorum (KIP-853 `controller.quorum.bootstrap.servers` naming other nodes): without
    /// the refusal such a node would start as a cluster of one and serve on its own.
    public var unsupportedTopology: ConfigError? {
        if runsRaftQuorum || describesSingleNodeCluster { return nil }
        let servers = quorumBootstrapServers.map(\.description).joined(separator: ",")
        return .inconsistent(
            keys: ["controller.quorum.bootstrap.servers", "controller.quorum.voters"],
            message: "controller.quorum.bootstrap.servers=\(servers) names controllers other than this node's "
                + "own controller listener: dynamic quorums (KIP-853) are not supported yet; list the voters in "
                + "controller.quorum.voters (id@host:port,...)")
    }
}
