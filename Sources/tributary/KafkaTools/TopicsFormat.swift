import KafkaClient

/// The lines `kafka-topics.sh --describe` prints (Kafka 3.7's TopicCommand): one per topic, then one per
/// partition, tab-separated.
enum TopicsFormat {
    /// `Topic: t\tTopicId: id\tPartitionCount: n\tReplicationFactor: r\tConfigs: k=v,k=v`; the configs are the
    /// ones not at their default (set on the topic or the broker); no TopicId field for the zero id.
    static func topicLine(_ t: TopicInfo, configs: [ConfigEntry]) -> String {
        let shown = configs.filter { !$0.isDefault }.map { "\($0.name)=\($0.value ?? "null")" }.joined(separator: ",")
        var line = "Topic: \(t.name)"
        if t.topicId != .zero { line += "\tTopicId: \(t.topicId)" }
        line += "\tPartitionCount: \(t.partitions.count)"
        line += "\tReplicationFactor: \(t.partitions.first?.replicas.count ?? 0)"
        line += "\tConfigs: \(shown)"
        return line
    }

    /// `\tTopic: t\tPartition: p\tLeader: l\tReplicas: a,b\tIsr: a,b`; `Leader: none` without a leader.
    static func partitionLine(topic: String, _ p: PartitionInfo) -> String {
        let leader = p.leader >= 0 ? "\(p.leader)" : "none"
        return "\tTopic: \(topic)\tPartition: \(p.partition)\tLeader: \(leader)\tReplicas: \(ids(p.replicas))\tIsr: \(ids(p.isr))"
    }

    /// Kafka's `isUnderReplicated`: fewer in-sync replicas than replicas.
    static func isUnderReplicated(_ p: PartitionInfo) -> Bool { p.replicas.count - p.isr.count > 0 }

    private static func ids(_ ids: [Int32]) -> String { ids.map(String.init).joined(separator: ",") }
}
