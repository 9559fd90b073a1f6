import KafkaProtocol

extension KafkaAdmin {
    /// DescribeConfigs resource type of a topic.
    static let topicResourceType: Int8 = 2

    /// Every config of each topic (DescribeConfigs), with where each value comes from.
    public func describeTopicConfigs(_ topics: [String]) async throws -> [String: [ConfigEntry]] {
        try await cluster.withRetries("DescribeConfigs") {
            let link = try await cluster.controllerLink()
            let (r, version) = try await link.send(.describeConfigs, as: DescribeConfigsResponse.self) { _ in
                var req = DescribeConfigsRequest()
                req.resources = topics.map {
                    var res = DescribeConfigsRequest.DescribeConfigsResource()
                    res.resourceType = Self.topicResourceType
                    res.resourceName = $0
                    res.configurationKeys = nil
                    return res
                }
                return req
            }
            var out: [String: [ConfigEntry]] = [:]
            for res in r.results {
                let code = KafkaError(rawValue: res.errorCode) ?? .unknownServerError
                guard code == .none else {
                    throw KafkaClientError.broker(code, message: res.errorMessage, broker: link.nodeId, context: "topic \(res.resourceName)")
                }
                out[res.resourceName] = res.configs.map { c in
                    // v0 has only IsDefault; v1+ has the source, which is what Kafka's isDefault reads.
                    let source: ConfigSource = version == 0
                        ? (c.isDefault ? .defaultConfig : .dynamicTopicConfig)
                        : ConfigSource(rawValue: c.configSource) ?? .unknown
                    return ConfigEntry(name: c.name, value: c.value, source: source, isReadOnly: c.readOnly, isSensitive: c.isSensitive)
                }.sorted { $0.name < $1.name }
            }
            return out
        }
    }
}
