/// A resource that dynamic configs are attached to, as ConfigRecord names it.
public struct ConfigResource: Hashable, Sendable, CustomStringConvertible {
    /// Kafka's `ConfigResource.Type` ids (the `ResourceType` of DescribeConfigs / AlterConfigs).
    public enum ResourceType: Int8, Hashable, Sendable, CaseIterable {
        case unknown = 0
        case topic = 2
        case broker = 4
        case brokerLogger = 8
        case clientMetrics = 16
        case group = 32
    }

    public var type: ResourceType
    /// The topic name, the broker id in decimal, or "" for the cluster-wide broker default.
    public var name: String

    public init(type: ResourceType, name: String) {
        self.type = type
        self.name = name
    }

    public static func topic(_ name: String) -> ConfigResource { ConfigResource(type: .topic, name: name) }
    public static func broker(_ id: Int32) -> ConfigResource { ConfigResource(type: .broker, name: String(id)) }
    /// The cluster-wide default for broker configs.
    public static let brokerDefault = ConfigResource(type: .broker, name: "")

    public var description: String { "\(type)(\(name.isEmpty ? "<default>" : name))" }
}
