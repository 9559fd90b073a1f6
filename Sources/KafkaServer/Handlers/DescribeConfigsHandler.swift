import KafkaMetadata
import KafkaProtocol

/// DescribeConfigs (key 32), versions 0-4.
///
/// Topics: every topic config with its effective value and source — the topic's own override
/// (DYNAMIC_TOPIC_CONFIG), else the broker setting it falls back to (STATIC_BROKER_CONFIG), else Kafka's default —
/// with synonyms (v1+) and type and documentation (v3+). Brokers: every broker key with its value and whether it
/// was set (file, environment, override) or defaulted. Passwords are never returned. Leaves out: broker loggers
/// (type 8), client metrics and group configs (answered with an error).
struct DescribeConfigsHandler: ApiHandler {
    let apiKey = ApiKey.describeConfigs
    let versions: ClosedRange<Int16> = 0...4
    let context: BrokerContext

    // Kafka's DescribeConfigsResponse.ConfigSource values.
    static let dynamicTopic: Int8 = 1, staticBroker: Int8 = 4, defaultConfig: Int8 = 5

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! DescribeConfigsRequest
        let image = context.image
        var response = DescribeConfigsResponse()
        for resource in req.resources {
            var result = DescribeConfigsResponse.DescribeConfigsResult()
            result.resourceType = resource.resourceType
            result.resourceName = resource.resourceName
            // Null (and, as Kafka's ConfigHelper treats it, empty) asks for every config.
            let wanted = resource.configurationKeys.flatMap { $0.isEmpty ? nil : Set($0) }
            switch ConfigResource.ResourceType(rawValue: resource.resourceType) {
            case .topic:
                guard image.topic(named: resource.resourceName) != nil else {
                    result.errorCode = KafkaError.unknownTopicOrPartition.code
                    result.errorMessage = "The topic '\(resource.resourceName)' does not exist."
                    break
                }
                let overrides = image.topicConfigs(resource.resourceName)
                result.configs = ConfigDef.standard.topicKeys.compactMap { key in
                    guard wanted?.contains(key.name) ?? true else { return nil }
                    return topicEntry(key, overrides: overrides, req: req, version: rc.apiVersion)
                }
            case .broker:
                guard resource.resourceName.isEmpty || resource.resourceName == String(context.nodeId) else {
                    result.errorCode = KafkaError.invalidRequest.code
                    result.errorMessage = "Unexpected broker id, expected \(context.nodeId) but received \(resource.resourceName)"
                    break
                }
                result.configs = ConfigDef.standard.keys.compactMap { key in
                    guard key.scope.appliesToBroker, wanted?.contains(key.name) ?? true else { return nil }
                    return brokerEntry(key, req: req, version: rc.apiVersion)
                }
            default:
                result.errorCode = KafkaError.invalidRequest.code
                result.errorMessage = "Resource type \(resource.resourceType) is not supported"
            }
            response.results.append(result)
        }
        return .respond(response)
    }

    private func entry(_ key: ConfigKey, value: String?, source: Int8, synonyms: [DescribeConfigsResponse.DescribeConfigsSynonym],
                       req: DescribeConfigsRequest, version: Int16) -> DescribeConfigsResponse.DescribeConfigsResourceResult {
        var e = DescribeConfigsResponse.DescribeConfigsResourceResult()
        e.name = key.name
        let sensitive = key.type == .password
        e.value = sensitive ? nil : value
        e.isSensitive = sensitive
        if version == 0 { e.isDefault = source == Self.defaultConfig } else { e.configSource = source }
        if version >= 1 && req.includeSynonyms { e.synonyms = synonyms }
        if version >= 3 {
            e.configType = Self.typeCode(key.type)
            if req.includeDocumentation { e.documentation = key.documentation }
        }
        return e
    }

    private func topicEntry(_ key: ConfigKey, overrides: [String: String], req: DescribeConfigsRequest, version: Int16)
        -> DescribeConfigsResponse.DescribeConfigsResourceResult
    {
        var synonyms: [DescribeConfigsResponse.DescribeConfigsSynonym] = []
        var value: String? = nil
        var source = Self.defaultConfig
        if let o = overrides[key.name] {
            value = o
            source = Self.dynamicTopic
            synonyms.append(synonym(key.name, o, Self.dynamicTopic))
        }
        for s in ConfigDef.topicSynonyms[key.name] ?? [] {
            guard let entry = context.config.values[s.name], let v = entry.value, entry.origin.isExplicit else { continue }
            if value == nil {
                // log.retention.hours=1 means retention.ms=3600000: the topic value is in the topic key's unit.
                value = s.multiplier == 1 ? "\(v)" : (Int64("\(v)").map { String($0 &* s.multiplier) } ?? "\(v)")
                source = Self.staticBroker
            }
            synonyms.append(synonym(s.name, "\(v)", Self.staticBroker))
        }
        if value == nil {
            value = context.config.topicDefaults.values[key.name].map { "\($0)" } ?? key.defaultValue.map { "\($0)" }
            if let v = value { synonyms.append(synonym(key.name, v, Self.defaultConfig)) }
        }
        return entry(key, value: value, source: source, synonyms: synonyms, req: req, version: version)
    }

    private func brokerEntry(_ key: ConfigKey, req: DescribeConfigsRequest, version: Int16)
        -> DescribeConfigsResponse.DescribeConfigsResourceResult
    {
        let entry = context.config.values[key.name]
        let explicit = entry?.origin.isExplicit ?? false
        let value = (entry?.value ?? key.defaultValue).map { "\($0)" }
        let source = explicit ? Self.staticBroker : Self.defaultConfig
        let synonyms = value.map { [synonym(key.name, $0, source)] } ?? []
        var e = self.entry(key, value: value, source: source, synonyms: synonyms, req: req, version: version)
        e.readOnly = true  // no dynamic broker configs yet
        return e
    }

    private func synonym(_ name: String, _ value: String?, _ source: Int8) -> DescribeConfigsResponse.DescribeConfigsSynonym {
        var s = DescribeConfigsResponse.DescribeConfigsSynonym()
        s.name = name
        s.value = value
        s.source = source
        return s
    }

    /// Kafka's DescribeConfigsResponse.ConfigType codes.
    static func typeCode(_ t: ConfigType) -> Int8 {
        switch t {
        case .boolean: return 1
        case .string: return 2
        case .int: return 3
        case .short: return 4
        case .long: return 5
        case .double: return 6
        case .list: return 7
        case .class: return 8
        case .password: return 9
        }
    }
}
