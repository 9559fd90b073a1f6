extension BrokerConfig {
    /// Loads the configuration the server runs with: Kafka's defaults ← `propertiesPath` (optional) ←
    /// `environment` (`KAFKA_*`, `KAFKA_CFG_*`) ← `overrides` (`key=value`). Throws `ConfigError` naming the
    /// key for an invalid value or an inconsistent combination.
    public static func load(
        propertiesPath: String? = nil, environment: [String: String] = [:], overrides: [String] = []
    ) throws -> LoadedBrokerConfig {
        try resolve(ConfigSources.read(propertiesPath: propertiesPath, environment: environment, overrides: overrides))
    }

    /// Resolves already-read sources; see `load`.
    public static func resolve(_ sources: ConfigSources, definitions: ConfigDef = .standard) throws -> LoadedBrokerConfig {
        var warnings: [String] = []
        var notices = sources.environment.notices
        var raw = sources.layered()
        for (name, item) in raw.sorted(by: { $0.key < $1.key }) {
            let from = item.origin.phrase.map { " (\($0))" } ?? ""
            switch definitions.classify(name) {
            case .broker:
                continue
            case .topicOnly(let synonym):
                let hint = synonym.map { "; its broker-wide default is \($0)" } ?? ""
                warnings.append("Configuration \(name)\(from) is a topic-level setting and is ignored here\(hint)")
            case .acceptedUnused:
                notices.append("Configuration \(name)\(from) is accepted but not used")
            case .unknown(let suggestion):
                let hint = suggestion.map { "; did you mean \($0)?" } ?? ""
                warnings.append("Unknown configuration \(name)\(from) is ignored\(hint)")
            }
        }
        if let notice = applySingleNodeProfile(&raw) { notices.append(notice) }

        var values = ConfigValues()
        for key in definitions.keys where key.scope.appliesToBroker {
            if let item = raw[key.name] {
                values.set(key.name, try key.parse(item.text, origin: item.origin), origin: item.origin)
            } else {
                values.set(key.name, key.defaultValue, origin: .defaultValue)
            }
        }
        try reconcileNodeId(&values)

        let listeners = try ResolvedListeners(values)
        let topicDefaults = try resolveTopicDefaults(values, definitions: definitions)
        let voterItems = values.list("controller.quorum.voters")
        let bootstrapItems = values.list("controller.quorum.bootstrap.servers")
        var config = BrokerConfig(
            nodeId: values.int("node.id"),
            processRoles: Set(values.list("process.roles").compactMap(ProcessRole.init(rawValue:))),
            listeners: listeners.listeners,
            advertisedListeners: listeners.advertisedBroker,
            advertisedControllerListeners: listeners.advertisedController,
            listenerSecurityProtocolMap: listeners.protocols,
            controllerListenerNames: listeners.controllerNames,
            interBrokerListenerName: listeners.interBrokerName,
            quorumVoters: try ListenerParsing.voters(voterItems, key: "controller.quorum.voters",
                                                     origin: values["controller.quorum.voters"]!.origin),
            quorumBootstrapServers: try ListenerParsing.hostPorts(
                bootstrapItems, key: "controller.quorum.bootstrap.servers",
                origin: values["controller.quorum.bootstrap.servers"]!.origin),
            logDirs: logDirectories(values),
            metadataLogDir: "",
            brokerRack: values.string("broker.rack"),
            topicDefaults: topicDefaults,
            topics: TopicCreationSettings(values),
            groups: GroupCoordinatorSettings(values),
            transactions: TransactionSettings(values),
            network: NetworkSettings(values),
            replication: ReplicationSettings(values),
            isSingleNodeCluster: false,
            values: values)
        config.metadataLogDir = values.string("metadata.log.dir") ?? config.logDirs.first ?? ""
        try config.validate(listeners: listeners)
        config.isSingleNodeCluster = config.describesSingleNodeCluster
        notices.append(contentsOf: config.lowerInternalReplicationForSingleNode())
        warnings.append(contentsOf: config.singleNodeReplicationWarnings())
        var loaded = LoadedBrokerConfig(config: config, warnings: warnings, notices: notices,
                                        clusterIdFromEnvironment: sources.environment.clusterId)
        loaded.sourcesSummary = sources.summary
        return loaded
    }

    /// `log.dirs` when set, else `log.dir`, split on commas.
    static func logDirectories(_ values: ConfigValues) -> [String] {
        let text = values.string("log.dirs") ?? values.string("log.dir") ?? ""
        return ListenerParsing.items(text)
    }

    // Kafka keeps broker.id as a synonym of node.id: one fills the other, and both set must agree.
    private static func reconcileNodeId(_ values: inout ConfigValues) throws {
        let nodeId = values.int("node.id")
        let brokerId = values.int("broker.id")
        if values.isExplicit("broker.id") && !values.isExplicit("node.id") {
            values.set("node.id", .int(brokerId), origin: values["broker.id"]!.origin)
        } else if values.isExplicit("broker.id") && brokerId != nodeId {
            throw ConfigError.inconsistent(keys: ["node.id", "broker.id"],
                                           message: "node.id (\(nodeId)) and broker.id (\(brokerId)) must be equal")
        }
    }

    /// The broker-wide topic defaults: each topic key takes its first broker synonym that has a value
    /// (so `log.retention.ms` beats `log.retention.minutes`, which beats `log.retention.hours`).
    static func resolveTopicDefaults(_ values: ConfigValues, definitions: ConfigDef) throws -> TopicConfigDefaults {
        var topicValues: [String: ConfigValue] = [:]
        for (topicName, synonyms) in ConfigDef.topicSynonyms {
            guard let key = definitions.topicKey(topicName) else { continue }
            for synonym in synonyms {
                guard let value = values[synonym.name]?.value else { continue }
                let converted: ConfigValue
                switch (key.type, value.integerValue) {
                case (.long, let v?): converted = .long(v.multipliedReportingOverflow(by: synonym.multiplier).partialValue)
                case (.int, let v?): converted = .int(Int32(clamping: v * synonym.multiplier))
                default: converted = value
                }
                try checkTimeSynonym(topicName, synonym.name, converted, values)
                topicValues[topicName] = converted
                break
            }
        }
        return TopicConfigDefaults(values: topicValues, definitions: definitions)
    }

    // The two startup checks Kafka makes on the resolved roll and retention times.
    private static func checkTimeSynonym(_ topic: String, _ broker: String, _ value: ConfigValue, _ values: ConfigValues) throws {
        guard let ms = value.integerValue, let origin = values[broker]?.origin else { return }
        if topic == "segment.ms", ms < 1 {
            throw ConfigError.invalidValue(key: broker, value: values[broker]!.value!.description,
                                           expected: "must be at least 1 ms", origin: origin)
        }
        if topic == "retention.ms", ms == 0 {
            throw ConfigError.invalidValue(key: broker, value: values[broker]!.value!.description,
                                           expected: "must be -1 (unlimited) or at least 1 ms", origin: origin)
        }
    }
}
