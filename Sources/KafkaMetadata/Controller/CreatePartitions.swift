import KafkaProtocol

/// One topic of a CreatePartitions request.
public struct CreatePartitionsSpec: Hashable, Sendable {
    public var name: String
    /// The new total number of partitions.
    public var count: Int32
    /// Replica lists for the new partitions only, in order; nil lets the controller place them.
    public var assignments: [[Int32]]?

    public init(name: String, count: Int32, assignments: [[Int32]]? = nil) {
        self.name = name
        self.count = count
        self.assignments = assignments
    }
}

/// The outcome for one topic of a CreatePartitions request.
public struct CreatePartitionsResult: Hashable, Sendable {
    public var name: String
    public var error: ApiError

    public init(name: String, error: ApiError = .none) {
        self.name = name
        self.error = error
    }
}

extension QuorumController {
    /// CreatePartitions: PartitionRecords for the partitions added to each topic (none when `validateOnly`).
    /// Topics named twice get INVALID_REQUEST first, then the others in request order, as Kafka answers.
    public func createPartitions(
        _ topics: [CreatePartitionsSpec], validateOnly: Bool, using rng: inout some RandomNumberGenerator
    ) -> ControllerResult<[CreatePartitionsResult]> {
        var counts: [String: Int] = [:]
        for t in topics { counts[t.name, default: 0] += 1 }
        var results: [CreatePartitionsResult] = []
        var reported: Set<String> = []
        for t in topics where counts[t.name]! > 1 && reported.insert(t.name).inserted {
            results.append(CreatePartitionsResult(name: t.name, error: ApiError(.invalidRequest, "Duplicate topic name.")))
        }
        var records: [MetadataRecord] = []
        for spec in topics where counts[spec.name] == 1 {
            switch addPartitions(spec, using: &rng) {
            case .success(let newRecords):
                records += newRecords
                results.append(CreatePartitionsResult(name: spec.name))
            case .failure(let error):
                results.append(CreatePartitionsResult(name: spec.name, error: error))
            }
        }
        return ControllerResult(records: validateOnly ? [] : records, response: results)
    }

    private func addPartitions(
        _ spec: CreatePartitionsSpec, using rng: inout some RandomNumberGenerator
    ) -> Result<[MetadataRecord], ApiError> {
        guard let topic = image.topic(named: spec.name) else {
            return .failure(ApiError(.unknownTopicOrPartition, "This server does not host this topic-partition."))
        }
        let existing = Int32(topic.partitions.count)
        if spec.count == existing {
            return .failure(ApiError(.invalidPartitions, "Topic already has \(existing) partition(s)."))
        }
        if spec.count < existing {
            return .failure(ApiError(
                .invalidPartitions,
                "The topic \(spec.name) currently has \(existing) partition(s); \(spec.count) would not be an increase."))
        }
        let additional = spec.count - existing
        let replicationFactor = Int16(clamping: topic.replicationFactor)
        var lists: [[Int32]]
        if let assignments = spec.assignments {
            if assignments.count != Int(additional) {
                return .failure(ApiError(
                    .invalidReplicaAssignment,
                    "Attempted to add \(additional) additional partition(s), but only \(assignments.count) assignment(s) were specified."))
            }
            for (i, replicas) in assignments.enumerated() {
                if let message = validateManualAssignment(replicas, replicationFactor: Int(replicationFactor)) {
                    return .failure(ApiError(.invalidReplicaAssignment, message))
                }
                if !replicas.contains(where: { image.brokers[$0]?.isActive == true }) {
                    return .failure(ApiError(
                        .invalidReplicaAssignment,
                        "All brokers specified in the manual partition assignment for partition \(existing + Int32(i)) are fenced or in controlled shutdown."))
                }
            }
            lists = assignments
        } else {
            switch ReplicaPlacer(image: image).place(
                startPartition: existing, count: additional, replicationFactor: replicationFactor, using: &rng) {
            case .success(let placed): lists = placed
            case .failure(let e): return .failure(ApiError(.invalidReplicationFactor, e.message))
            }
        }
        var records: [MetadataRecord] = []
        for (i, replicas) in lists.enumerated() {
            let isr = replicas.filter { image.brokers[$0]?.isActive == true }
            if isr.isEmpty {
                return .failure(ApiError(
                    .invalidReplicationFactor,
                    "Unable to replicate the partition \(replicationFactor) time(s): All brokers are currently fenced or in controlled shutdown."))
            }
            records.append(partitionRecord(topicId: topic.id, partition: existing + Int32(i), replicas: replicas, isr: isr))
        }
        return .success(records)
    }
}
