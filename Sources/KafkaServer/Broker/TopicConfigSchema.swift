import KafkaMetadata

/// The controller's view of which configs a topic or broker may carry, from the broker's config definitions.
enum TopicConfigSchema {
    static func schema(_ config: BrokerConfig) -> ConfigSchema {
        let defs = ConfigDef.standard
        let topicDefaults = config.topicDefaults
        return ConfigSchema(
            validate: { type, key, value in
                guard let def = defs.key(key) else {
                    return type == .topic ? "Unknown topic config name: \(key)" : "Unknown broker config name: \(key)"
                }
                if type == .topic && !def.scope.appliesToTopic { return "Unknown topic config name: \(key)" }
                do {
                    _ = try def.parse(value, origin: .request(resource: type == .topic ? "topic" : "broker"))
                    return nil
                } catch {
                    // ConfigError's text already reads "Invalid value V for configuration K: why (origin)".
                    return "\(error)"
                }
            },
            isList: { _, key in defs.key(key)?.type == .list },
            defaults: { type in
                guard type == .topic else { return [:] }
                var out: [String: String] = [:]
                for (k, v) in topicDefaults.values { out[k] = "\(v)" }
                return out
            })
    }
}
