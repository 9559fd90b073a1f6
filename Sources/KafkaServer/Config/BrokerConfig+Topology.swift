// The topologies this node can really run today. Loading accepts every KRaft topology Kafka accepts (its own
// checks live in BrokerConfig+Validation), so that `storage format` and tools read any Kafka configuration; the
// server refuses those it would only pretend to run.
extension BrokerConfig {
    /// Why this node cannot start with this configuration yet, or nil when it can: a combined broker+controller
    /// whose quorum is this node alone, or a combined node that is one voter of a static `controller.quorum.voters`
    /// (`runsRaftQuorum`: the metadata log is replicated by Raft among the voters).
    ///
    /// Without the refusal a node whose `controller.quorum.voters` lists three voters starts as a cluster of one
    /// and serves on its own: three such nodes become three separate one-node clusters with the same cluster id.
    /// A broker-only node would run a private controller of its own, and a controller-only node would bind no
    /// client listener at all yet report itself ready.
    public var unsupportedTopology: ConfigError? {
        if processRoles != [.broker, .controller] {
            let roles = processRoles.map(\.rawValue).sorted().joined(separator: ",")
            let needs = processRoles == [.broker]
                ? "a broker-only node needs controllers on other nodes" : "a controller-only node needs brokers on other nodes"
            return .inconsistent(
                keys: ["process.roles", "controller.quorum.voters"],
                message: "process.roles=\(roles) is not supported yet: \(needs); multi-node quorums run only on "
                    + "combined nodes: set process.roles=broker,controller on every voter of "
                    + "controller.quorum.voters (or run a single node with controller.quorum.voters=\(nodeId)@host:port)")
        }
        // (A combined node missing from the voters it names is refused when the configuration loads, as Kafka does.)
        if runsRaftQuorum { return nil }
        if !describesSingleNodeCluster {
            // Voters are this node (or none): what is left is a dynamic quorum bootstrapped from elsewhere.
            let servers = quorumBootstrapServers.map(\.description).joined(separator: ",")
            return .inconsistent(
                keys: ["controller.quorum.bootstrap.servers", "controller.quorum.voters"],
                message: "controller.quorum.bootstrap.servers=\(servers) names controllers other than this node's "
                    + "own controller listener: multi-node quorums (controller.quorum.voters or bootstrap servers "
                    + "of other nodes) are not supported yet")
        }
        return nil
    }
}
