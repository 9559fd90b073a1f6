import KafkaMetadata
import KafkaProtocol

// The admin requests a broker hands to the active controller, both ways: a client's request to the controller's
// command (here, and on the controller's listener for a forwarded one) and a command back to its request (for
// forwarding). Configs refused before they reach the controller (unsupported resource types, unknown operations)
// stay with the broker's handler; only the specs travel.

extension CreateTopicsRequest {
    /// The topics as the controller's specs.
    var specs: [CreateTopicSpec] {
        topics.map { t in
            CreateTopicSpec(
                name: t.name, numPartitions: t.numPartitions, replicationFactor: t.replicationFactor,
                assignments: t.assignments.map { .init(partitionIndex: $0.partitionIndex, brokerIds: $0.brokerIds) },
                configs: t.configs.map { .init(name: $0.name, value: $0.value) })
        }
    }

    init(specs: [CreateTopicSpec], validateOnly: Bool) {
        self.init()
        self.validateOnly = validateOnly
        topics = specs.map { s in
            var t = CreatableTopic()
            t.name = s.name
            t.numPartitions = s.numPartitions
            t.replicationFactor = s.replicationFactor
            t.assignments = s.assignments.map {
                var a = CreatableReplicaAssignment()
                a.partitionIndex = $0.partitionIndex
                a.brokerIds = $0.brokerIds
                return a
            }
            t.configs = s.configs.map {
                var c = CreatableTopicConfig()
                c.name = $0.name
                c.value = $0.value
                return c
            }
            return t
        }
    }
}

extension CreatePartitionsRequest {
    var specs: [CreatePartitionsSpec] {
        topics.map { CreatePartitionsSpec(name: $0.name, count: $0.count, assignments: $0.assignments?.map(\.brokerIds)) }
    }

    init(specs: [CreatePartitionsSpec], validateOnly: Bool) {
        self.init()
        self.validateOnly = validateOnly
        topics = specs.map { s in
            var t = CreatePartitionsTopic()
            t.name = s.name
            t.count = s.count
            t.assignments = s.assignments?.map {
                var a = CreatePartitionsAssignment()
                a.brokerIds = $0
                return a
            }
            return t
        }
    }
}

extension DeleteTopicsRequest {
    /// By id and name from v6, by name before.
    func specs(version: Int16) -> [DeleteTopicSpec] {
        version >= 6 ? topics.map { DeleteTopicSpec(name: $0.name, topicId: $0.topicId) } : topicNames.map { .named($0) }
    }

    /// The request at `version`: before v6 only named topics can be sent (a spec by id alone is dropped; the
    /// broker's handler only makes those from a v6+ request, which is forwarded at v6).
    init(specs: [DeleteTopicSpec], version: Int16) {
        self.init()
        if version >= 6 {
            topics = specs.map {
                var t = DeleteTopicState()
                t.name = $0.name
                t.topicId = $0.topicId
                return t
            }
        } else {
            topicNames = specs.compactMap(\.name)
        }
    }
}

extension IncrementalAlterConfigsRequest {
    init(specs: [IncrementalAlterConfigsSpec], validateOnly: Bool) {
        self.init()
        self.validateOnly = validateOnly
        resources = specs.map { s in
            var r = AlterConfigsResource()
            r.resourceType = s.resource.type.rawValue
            r.resourceName = s.resource.name
            r.configs = s.changes.map {
                var c = AlterableConfig()
                c.name = $0.name
                c.configOperation = $0.operation.rawValue
                c.value = $0.value
                return c
            }
            return r
        }
    }
}

extension AlterConfigsRequest {
    init(specs: [AlterConfigsSpec], validateOnly: Bool) {
        self.init()
        self.validateOnly = validateOnly
        resources = specs.map { s in
            var r = AlterConfigsResource()
            r.resourceType = s.resource.type.rawValue
            r.resourceName = s.resource.name
            r.configs = s.configs.map {
                var c = AlterableConfig()
                c.name = $0.name
                c.value = $0.value
                return c
            }
            return r
        }
    }
}
