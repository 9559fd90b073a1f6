/// Where a config value comes from: the `ConfigSource` ids of DescribeConfigs v1+ and CreateTopics v5+ (KIP-226,
/// KIP-525), shared by the broker's answers and the client's reading of them.
public enum ConfigSource: Int8, Hashable, Sendable {
    case unknown = 0
    case dynamicTopicConfig = 1
    case dynamicBrokerConfig = 2
    case dynamicDefaultBrokerConfig = 3
    case staticBrokerConfig = 4
    case defaultConfig = 5
    case dynamicBrokerLoggerConfig = 6
    case clientMetricsConfig = 7
    case groupConfig = 8
}
