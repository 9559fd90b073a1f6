/// The listener keys resolved together, as Kafka's KafkaConfig derives them.
struct ResolvedListeners {
    var protocols: [String: SecurityProtocol]
    var controllerNames: [String]
    var listeners: [ListenerEndpoint]
    /// `advertised.listeners` when set, else `listeners`, controller listeners included.
    var advertised: [ListenerEndpoint]
    var advertisedBroker: [ListenerEndpoint]
    var advertisedController: [ListenerEndpoint]
    var interBrokerName: String

    init(_ values: ConfigValues) throws {
        let mapOrigin = values["listener.security.protocol.map"]!.origin
        protocols = try ListenerParsing.protocolMap(values.string("listener.security.protocol.map") ?? "",
                                                    key: "listener.security.protocol.map", origin: mapOrigin)
        // Kafka compares controller names with normalised (upper-case) listener names; accept either case.
        controllerNames = ListenerParsing.items(values.string("controller.listener.names") ?? "").map { $0.uppercased() }
        let listenersText = values.string("listeners") ?? ""
        // As Kafka does when the map was left at its default: controller listeners speak PLAINTEXT unless
        // something in use is SSL or SASL (then an explicit mapping is required).
        if !mapOrigin.isExplicit {
            let names = controllerNames + ListenerParsing.items(listenersText).map {
                String($0.prefix(while: { $0 != ":" })).uppercased()
            }
            let secure: Set<String> = ["SSL", "SASL_SSL", "SASL_PLAINTEXT"]
            if !names.contains(where: secure.contains) {
                for name in controllerNames where protocols[name] == nil { protocols[name] = .plaintext }
            }
        }
        listeners = try ListenerParsing.endpoints(listenersText, key: "listeners", origin: values["listeners"]!.origin,
                                                  protocols: protocols, requireDistinctPorts: true)
        if let text = values.string("advertised.listeners") {
            advertised = try ListenerParsing.endpoints(text, key: "advertised.listeners",
                                                       origin: values["advertised.listeners"]!.origin,
                                                       protocols: protocols, requireDistinctPorts: false)
        } else {
            advertised = listeners
        }
        let controllerSet = Set(controllerNames)
        let (bound, announced) = (listeners, advertised)
        advertisedBroker = announced.filter { !controllerSet.contains($0.name) }
        advertisedController = controllerNames.compactMap { name in
            announced.first { $0.name == name } ?? bound.first { $0.name == name }
        }
        interBrokerName = try Self.interBrokerListenerName(values, protocols: protocols)
    }

    // inter.broker.listener.name wins; without it the listener named after security.inter.broker.protocol.
    private static func interBrokerListenerName(
        _ values: ConfigValues, protocols: [String: SecurityProtocol]
    ) throws -> String {
        guard let name = values.string("inter.broker.listener.name") else {
            return values.string("security.inter.broker.protocol") ?? "PLAINTEXT"
        }
        if values.isExplicit("security.inter.broker.protocol") {
            throw ConfigError.inconsistent(
                keys: ["inter.broker.listener.name", "security.inter.broker.protocol"],
                message: "Only one of inter.broker.listener.name and security.inter.broker.protocol should be set")
        }
        let normalised = name.uppercased()
        guard protocols[normalised] != nil else {
            throw ConfigError.invalidValue(
                key: "inter.broker.listener.name", value: name,
                expected: "listener \(normalised) is not in listener.security.protocol.map",
                origin: values["inter.broker.listener.name"]!.origin)
        }
        return normalised
    }
}
