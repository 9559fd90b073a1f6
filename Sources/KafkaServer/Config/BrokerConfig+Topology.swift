// The topologies this node can really run today. Loading accepts every KRaft topology Kafka accepts (its own
// checks live in BrokerConfig+Validation), so that `storage format` and tools read any Kafka configuration; the
// server refuses those it would only pretend to run.
extension BrokerConfig {
    /// Why this node cannot start with this configuration yet, or nil when it can: the metadata quorum is a
    /// quorum of one, so only a combined broker+controller whose quorum is this node alone works.
    ///
    /// Without the refusal a node whose `controller.quorum.voters` lists three voters starts as a cluster of one
    /// and serves on its own: three such nodes become three separate one-node clusters with the same cluster id.
    /// A broker-only node would run a private controller of its own, and a controller-only node would bind no
    /// client listener at all yet report itself ready.
    public var unsupportedTopology: ConfigError? {
        let voters = quorumVoters.map { "\($0.id)@\($0.endpoint)" }.joined(separator: ",")
        if processRoles != [.broker, .controller] {
            let roles = processRoles.map(\.rawValue).sorted().joined(separator: ",")
            let needs = processRoles == [.broker]
                ? "a broker-only node needs controllers on other nodes" : "a controller-only node needs brokers on other nodes"
            return .inconsistent(
                keys: ["process.roles", "controller.quorum.voters"],
                message: "process.roles=\(roles) is not supported yet: \(needs), and multi-node quorums "
                    + "(controller.quorum.voters with other nodes) are not supported yet; run a single node with "
                    + "process.roles=broker,controller and controller.quorum.voters=\(nodeId)@host:port")
        }
        if let other = quorumVoters.first(where: { $0.id != nodeId }) {
            return .inconsistent(
                keys: ["controller.quorum.voters", "node.id"],
                message: "controller.quorum.voters=\(voters) lists voter \(other.id), not this node (node.id=\(nodeId)): "
                    + "multi-node quorums are not supported yet, and this node would run as a separate cluster of "
                    + "one; set controller.quorum.voters to this node alone (\(nodeId)@host:port)")
        }
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
