extension ControllerReply {
    /// The reply that refuses `command` as a whole with `error` (every topic, partition or resource it names gets
    /// it), as a Kafka controller answers a request it cannot serve, e.g. NOT_CONTROLLER on a node that is not the
    /// active controller.
    public static func refusing(_ command: ControllerCommand, with error: ApiError) -> ControllerReply {
        switch command {
        case .registerBroker: return .brokerRegistration(BrokerRegistrationResult(error: error))
        case .brokerHeartbeat: return .brokerHeartbeat(BrokerHeartbeatResult(error: error))
        case .allocateProducerIds: return .producerIds(ProducerIdBlock(error: error))
        // Kafka refuses a whole AlterPartition with the top-level code alone.
        case .alterPartition: return .alterPartition(AlterPartitionResult(error: error))
        case .createTopics(let specs, _): return .createTopics(specs.map { CreateTopicResult(name: $0.name, error: error) })
        case .createPartitions(let specs, _):
            return .createPartitions(specs.map { CreatePartitionsResult(name: $0.name, error: error) })
        case .deleteTopics(let specs, _):
            return .deleteTopics(specs.map { DeleteTopicResult(name: $0.name, topicId: $0.topicId, error: error) })
        case .electLeaders(let spec): return .electLeaders(ElectLeadersResult(refusing: spec, with: error))
        case .incrementalAlterConfigs(let specs, _):
            return .alterConfigs(specs.map { AlterConfigsResult(resource: $0.resource, error: error) })
        case .alterConfigs(let specs, _):
            return .alterConfigs(specs.map { AlterConfigsResult(resource: $0.resource, error: error) })
        }
    }
}
