// The zero-configuration single node, and internal-topic replication on a one-node cluster.
extension BrokerConfig {
    /// Keys that describe a KRaft cluster. When none is set anywhere, the node runs as a single combined
    /// broker+controller (node 1, controller on localhost:9093) instead of failing Kafka's required-key checks.
    static let topologyKeys = [
        "process.roles", "node.id", "broker.id", "controller.quorum.voters", "controller.quorum.bootstrap.servers",
        "controller.listener.names",
    ]

    /// Fills the single-node profile into `raw` when no topology key is set; returns the notice to log.
    ///
    /// Listeners the operator gave are kept (a `CONTROLLER://localhost:9093` listener is added when they have
    /// none); advertised listeners given without listeners are bound on all interfaces, as the official Docker
    /// image derives `listeners` from `advertised.listeners`.
    static func applySingleNodeProfile(_ raw: inout [String: (text: String, origin: ConfigOrigin)]) -> String? {
        guard !topologyKeys.contains(where: { raw[$0] != nil }) else { return nil }
        func put(_ key: String, _ text: String) { raw[key] = (text, .singleNodeDefault) }
        put("process.roles", "broker,controller")
        put("node.id", "1")
        put("controller.listener.names", "CONTROLLER")
        var controller = HostPort(host: "localhost", port: 9093)
        if let given = raw["listeners"] {
            let items = ListenerParsing.items(given.text)
            if let existing = items.first(where: { $0.uppercased().hasPrefix("CONTROLLER://") }),
               let (host, port) = HostPort.split(existing.dropFirst("CONTROLLER://".count)) {
                let wildcard = host.isEmpty || host == "0.0.0.0" || host == "::"
                controller = HostPort(host: wildcard ? "localhost" : host, port: port)
            } else {
                raw["listeners"] = ((items + ["CONTROLLER://localhost:9093"]).joined(separator: ","), given.origin)
            }
        } else if let advertised = raw["advertised.listeners"] {
            let bound = ListenerParsing.items(advertised.text).map { item -> String in
                guard let separator = item.firstRange(of: "://"),
                      let (_, port) = HostPort.split(item[separator.upperBound...]) else { return item }
                return "\(item[..<separator.lowerBound])://:\(port)"
            }
            put("listeners", (bound + ["CONTROLLER://localhost:9093"]).joined(separator: ","))
        } else {
            put("listeners", "PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093")
            put("advertised.listeners", "PLAINTEXT://localhost:9092")
        }
        put("controller.quorum.voters", "1@\(controller)")
        return "No cluster topology configured (process.roles, node.id, controller.quorum.*): running a single "
            + "combined broker+controller, node.id=1, controller quorum 1@\(controller)"
    }

    /// True for a combined node whose quorum is itself alone: by voter id, or by bootstrap servers that are
    /// this node's own controller listener on a local address. Other brokers could still join such a
    /// quorum; a deployment that adds them should set the internal topics' replication factors explicitly.
    var describesSingleNodeCluster: Bool {
        guard processRoles == [.broker, .controller] else { return false }
        if !quorumVoters.isEmpty, !quorumVoters.allSatisfy({ $0.id == nodeId }) { return false }
        let controllerEndpoints = listeners.filter { controllerListenerNames.contains($0.name) }
            + advertisedControllerListeners
        let ports = Set(controllerEndpoints.map(\.port))
        let localHosts = Set(["localhost", "127.0.0.1", "::1"] + controllerEndpoints.compactMap { $0.host?.lowercased() })
        return quorumBootstrapServers.allSatisfy { ports.contains($0.port) && localHosts.contains($0.host.lowercased()) }
    }

    static let internalReplicationKeys = [
        "offsets.topic.replication.factor", "transaction.state.log.replication.factor", "transaction.state.log.min.isr",
    ]

    /// On a single-node cluster, lowers the internal topics' replication settings the operator did not set
    /// to 1 (Kafka's defaults of 3, 3 and 2 would leave `__consumer_offsets` and `__transaction_state`
    /// uncreatable). Returns the notice to log; does nothing on any other cluster.
    mutating func lowerInternalReplicationForSingleNode() -> [String] {
        guard isSingleNodeCluster else { return [] }
        var lowered: [String] = []
        for key in Self.internalReplicationKeys where !values.isExplicit(key) {
            guard let current = values.optionalInteger(key), current > 1 else { continue }
            values.set(key, key.hasSuffix(".min.isr") ? .int(1) : .short(1), origin: .singleNodeDefault)
            lowered.append("\(key) from \(current) to 1")
        }
        guard !lowered.isEmpty else { return [] }
        groups = GroupCoordinatorSettings(values)
        transactions = TransactionSettings(values)
        return ["Single-node cluster: lowered \(lowered.joined(separator: ", ")) so the internal topics can be "
            + "created; set these keys explicitly to choose other values"]
    }

    /// Warnings for replication settings the operator set above 1 on a single-node cluster.
    func singleNodeReplicationWarnings() -> [String] {
        guard isSingleNodeCluster else { return [] }
        let keys = Self.internalReplicationKeys + ["default.replication.factor"]
        return keys.compactMap { key in
            guard values.isExplicit(key), let value = values.optionalInteger(key), value > 1 else { return nil }
            return "\(key)=\(value) on a single-node cluster: topics that need it cannot be created until "
                + "\(value) brokers are registered"
        }
    }
}
