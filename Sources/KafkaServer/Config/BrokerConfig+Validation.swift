// Kafka's startup cross-key checks (KafkaConfig.validateValues), KRaft only. Messages name the keys involved.
extension BrokerConfig {
    func validate(listeners resolved: ResolvedListeners) throws {
        func fail(_ keys: [String], _ message: String) -> ConfigError {
            .inconsistent(keys: keys, message: message)
        }
        guard !processRoles.isEmpty else {
            throw fail(["process.roles"], "process.roles must be set to broker, controller, or broker,controller")
        }
        guard nodeId >= 0 else {
            throw fail(["node.id"], "Missing configuration node.id, which is required when process.roles is set")
        }
        guard !logDirs.isEmpty else {
            throw fail(["log.dirs", "log.dir"], "At least one log directory must be defined via log.dirs or log.dir")
        }
        try validateReplicaTimeouts()
        try validateConsumerGroupSettings()
        try validateConnectionLimits()
        guard !quorumVoters.isEmpty || !quorumBootstrapServers.isEmpty else {
            throw fail(["controller.quorum.voters", "controller.quorum.bootstrap.servers"],
                       "Either controller.quorum.voters (id@host:port,...) or controller.quorum.bootstrap.servers "
                       + "(host:port,...) must be set")
        }
        let listenerNames = Set(listeners.map(\.name))
        let controllerListenersBound = listeners.filter { controllerListenerNames.contains($0.name) }
        let voterIds = quorumVoters.map(\.id).sorted()
        if processRoles == [.broker] {
            guard !voterIds.contains(nodeId) else {
                throw fail(["node.id", "controller.quorum.voters"],
                           "With process.roles=broker, node id \(nodeId) must not be one of controller.quorum.voters "
                           + "\(voterIds)")
            }
            guard !controllerListenerNames.isEmpty else {
                throw fail(["controller.listener.names"],
                           "controller.listener.names must name the controllers' listener when process.roles=broker")
            }
            guard controllerListenersBound.isEmpty else {
                throw fail(["controller.listener.names", "listeners"],
                           "With process.roles=broker, listeners must not contain the controller listener "
                           + "\(controllerListenersBound.map(\.name).joined(separator: ","))")
            }
            if let name = controllerListenerNames.first(where: { resolved.protocols[$0] == nil }) {
                throw fail(["controller.listener.names", "listener.security.protocol.map"],
                           "Controller listener \(name) is not in listener.security.protocol.map")
            }
            if let name = resolved.advertised.first(where: { controllerListenerNames.contains($0.name) })?.name {
                throw fail(["advertised.listeners", "controller.listener.names"],
                           "With process.roles=broker, advertised.listeners must not contain the controller listener \(name)")
            }
        } else {
            if processRoles == [.controller], controllerListenersBound.count != listeners.count {
                throw fail(["listeners", "controller.listener.names"],
                           "With process.roles=controller, listeners may only contain listeners named in "
                           + "controller.listener.names")
            }
            guard voterIds.isEmpty || voterIds.contains(nodeId) else {
                throw fail(["node.id", "controller.quorum.voters"],
                           "With the controller role, node id \(nodeId) must be one of controller.quorum.voters \(voterIds)")
            }
            guard !controllerListenerNames.isEmpty, !advertisedControllerListeners.isEmpty else {
                throw fail(["controller.listener.names", "listeners"],
                           "controller.listener.names must name at least one listener of listeners when running the "
                           + "controller role")
            }
            if let missing = controllerListenerNames.first(where: { !listenerNames.contains($0) }) {
                throw fail(["controller.listener.names", "listeners"],
                           "controller.listener.names contains \(missing), which is not in listeners")
            }
        }
        if isBroker { try validateBrokerListeners(listenerNames) }
        if let bad = (advertisedListeners + advertisedControllerListeners).first(where: { $0.host == "0.0.0.0" }) {
            throw fail(["advertised.listeners"],
                       "advertised.listeners cannot use the non-routable address 0.0.0.0 (\(bad)); use a routable "
                       + "host name or IP address")
        }
    }

    private func validateBrokerListeners(_ listenerNames: Set<String>) throws {
        let advertisedNames = advertisedListeners.map(\.name)
        guard !advertisedNames.isEmpty else {
            throw ConfigError.inconsistent(keys: ["listeners", "advertised.listeners", "controller.listener.names"],
                                           message: "There must be at least one broker listener to advertise; do all "
                                               + "listeners appear in controller.listener.names?")
        }
        guard advertisedNames.contains(interBrokerListenerName) else {
            throw ConfigError.inconsistent(keys: ["inter.broker.listener.name", "advertised.listeners"],
                                           message: "inter.broker.listener.name must be a listener of advertised.listeners "
                                               + "(found \(interBrokerListenerName); valid: "
                                               + "\(advertisedNames.joined(separator: ",")))")
        }
        if let extra = advertisedNames.first(where: { !listenerNames.contains($0) }) {
            throw ConfigError.inconsistent(keys: ["advertised.listeners", "listeners"],
                                           message: "advertised.listeners names \(extra), which is not in listeners")
        }
    }

    /// Kafka's GroupCoordinatorConfig checks of the KIP-848 settings.
    private func validateConsumerGroupSettings() throws {
        func within(_ key: String, _ minKey: String, _ maxKey: String) throws {
            let v = values.int(key), lo = values.int(minKey), hi = values.int(maxKey)
            guard v >= lo, v <= hi else {
                throw ConfigError.inconsistent(keys: [key, minKey, maxKey],
                                               message: "\(key) (\(v)) must be between \(minKey) (\(lo)) and \(maxKey) (\(hi))")
            }
        }
        try within("group.consumer.session.timeout.ms", "group.consumer.min.session.timeout.ms", "group.consumer.max.session.timeout.ms")
        try within("group.consumer.heartbeat.interval.ms", "group.consumer.min.heartbeat.interval.ms", "group.consumer.max.heartbeat.interval.ms")
        if values.int("group.consumer.heartbeat.interval.ms") >= values.int("group.consumer.session.timeout.ms") {
            throw ConfigError.inconsistent(keys: ["group.consumer.heartbeat.interval.ms", "group.consumer.session.timeout.ms"],
                                           message: "group.consumer.heartbeat.interval.ms must be less than group.consumer.session.timeout.ms")
        }
        let known = ["uniform", "range"]
        if let bad = values.list("group.consumer.assignors").first(where: { !known.contains(GroupCoordinatorSettings.assignorName($0)) }) {
            throw ConfigError.inconsistent(keys: ["group.consumer.assignors"],
                                           message: "group.consumer.assignors contains \(bad); supported assignors are uniform and range")
        }
    }

    /// Kafka's checks of the connection limits: the overrides parse (the error names the bad entry), and a
    /// per-address limit of zero needs overrides (it would refuse every client).
    private func validateConnectionLimits() throws {
        let key = "max.connections.per.ip.overrides"
        let overrides = try ConnectionQuota.parseOverrides(network.maxConnectionsPerIpOverrides,
                                                           origin: values[key]?.origin ?? .defaultValue)
        if network.maxConnectionsPerIp == 0, overrides.isEmpty {
            throw ConfigError.inconsistent(keys: ["max.connections.per.ip", key],
                                           message: "max.connections.per.ip can be set to zero only if \(key) property is set.")
        }
    }

    private func validateReplicaTimeouts() throws {
        let wait = Int64(values.int("replica.fetch.wait.max.ms"))
        if wait > Int64(values.int("replica.socket.timeout.ms")) {
            throw ConfigError.inconsistent(keys: ["replica.socket.timeout.ms", "replica.fetch.wait.max.ms"],
                                           message: "replica.socket.timeout.ms must be at least replica.fetch.wait.max.ms")
        }
        if wait > values.long("replica.lag.time.max.ms") {
            throw ConfigError.inconsistent(keys: ["replica.fetch.wait.max.ms", "replica.lag.time.max.ms"],
                                           message: "replica.fetch.wait.max.ms must be at most replica.lag.time.max.ms")
        }
        let threads = Int64(values.int("log.cleaner.threads"))
        if threads > 0, values.long("log.cleaner.dedupe.buffer.size") / threads <= 1_048_576 {
            throw ConfigError.inconsistent(keys: ["log.cleaner.dedupe.buffer.size", "log.cleaner.threads"],
                                           message: "log.cleaner.dedupe.buffer.size must be at least 1 MiB per cleaner thread")
        }
        let queuedBytes = values.long("queued.max.request.bytes")
        if queuedBytes > 0, queuedBytes < Int64(values.int("socket.request.max.bytes")) {
            throw ConfigError.inconsistent(keys: ["queued.max.request.bytes", "socket.request.max.bytes"],
                                           message: "queued.max.request.bytes must be -1 or at least socket.request.max.bytes")
        }
    }
}
