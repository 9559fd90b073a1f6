import KafkaProtocol

/// One topic of a CreateTopics request.
public struct CreateTopicSpec: Hashable, Sendable {
    /// A manual assignment of replicas to one partition.
    public struct Assignment: Hashable, Sendable {
        public var partitionIndex: Int32
        public var brokerIds: [Int32]
        public init(partitionIndex: Int32, brokerIds: [Int32]) {
            self.partitionIndex = partitionIndex
            self.brokerIds = brokerIds
        }
    }

    /// A config set on creation; a nil value is refused as in Kafka.
    public struct Config: Hashable, Sendable {
        public var name: String
        public var value: String?
        public init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }

    public var name: String
    /// -1: the broker's `num.partitions`.
    public var numPartitions: Int32
    /// -1: the broker's `default.replication.factor`.
    public var replicationFactor: Int16
    /// Manual assignments; when given, numPartitions and replicationFactor must be -1.
    public var assignments: [Assignment]
    public var configs: [Config]

    public init(
        name: String, numPartitions: Int32 = -1, replicationFactor: Int16 = -1, assignments: [Assignment] = [],
        configs: [Config] = []
    ) {
        self.name = name
        self.numPartitions = numPartitions
        self.replicationFactor = replicationFactor
        self.assignments = assignments
        self.configs = configs
    }
}

/// The outcome for one topic of a CreateTopics request (the fields of CreateTopicsResponse's `CreatableTopicResult`).
public struct CreateTopicResult: Hashable, Sendable {
    /// One effective config of a created topic (CreateTopics v5+, KIP-525).
    public struct Config: Hashable, Sendable {
        /// Kafka's `DescribeConfigsResponse` config source ids.
        public typealias Source = ConfigSource

        public var name: String
        public var value: String?
        public var readOnly: Bool
        public var source: Source
        public var isSensitive: Bool

        public init(name: String, value: String?, readOnly: Bool = false, source: Source, isSensitive: Bool = false) {
            self.name = name
            self.value = value
            self.readOnly = readOnly
            self.source = source
            self.isSensitive = isSensitive
        }
    }

    public var name: String
    public var topicId: KafkaUUID
    public var error: ApiError
    /// -1 on error.
    public var numPartitions: Int32
    /// -1 on error.
    public var replicationFactor: Int16
    /// The effective configs, sorted by name (empty on error).
    public var configs: [Config]

    public init(
        name: String, topicId: KafkaUUID = .zero, error: ApiError = .none, numPartitions: Int32 = -1,
        replicationFactor: Int16 = -1, configs: [Config] = []
    ) {
        self.name = name
        self.topicId = topicId
        self.error = error
        self.numPartitions = numPartitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }
}

extension QuorumController {
    /// CreateTopics: validates every topic as Kafka does and answers one result per topic; successful topics get
    /// a TopicRecord, one PartitionRecord per partition and a ConfigRecord per config (none when `validateOnly`).
    ///
    /// Topic ids and the placement's starting broker are drawn from `rng`, the only randomness the controller uses.
    /// Results come in request order; names given more than once get one INVALID_REQUEST result each, at the end,
    /// as Kafka's ControllerApis appends them.
    public func createTopics(
        _ topics: [CreateTopicSpec], validateOnly: Bool, using rng: inout some RandomNumberGenerator
    ) -> ControllerResult<[CreateTopicResult]> {
        var counts: [String: Int] = [:]
        for t in topics { counts[t.name, default: 0] += 1 }
        var duplicates: [String] = []
        var seen: Set<String> = []
        for t in topics where counts[t.name]! > 1 && seen.insert(t.name).inserted { duplicates.append(t.name) }

        var records: [MetadataRecord] = []
        var results: [CreateTopicResult] = []
        var newIds: Set<KafkaUUID> = []
        for spec in topics where counts[spec.name] == 1 {
            switch createTopic(spec, takenIds: &newIds, using: &rng) {
            case .success(let (topicRecords, result)):
                records += topicRecords
                results.append(result)
            case .failure(let error):
                results.append(CreateTopicResult(name: spec.name, error: error))
            }
        }
        for name in duplicates {
            results.append(CreateTopicResult(name: name, error: ApiError(.invalidRequest, "Duplicate topic name.")))
        }
        return ControllerResult(records: validateOnly ? [] : records, response: results)
    }

    private func createTopic(
        _ spec: CreateTopicSpec, takenIds: inout Set<KafkaUUID>, using rng: inout some RandomNumberGenerator
    ) -> Result<([MetadataRecord], CreateTopicResult), ApiError> {
        // Name checks come first, and an existing topic's error wins over a collision (ReplicationControlManager).
        if image.topicIdsByName[spec.name] != nil {
            return .failure(ApiError(.topicAlreadyExists, "Topic '\(spec.name)' already exists."))
        }
        if let message = TopicName.validationError(spec.name) {
            return .failure(ApiError(.invalidTopicException, message))
        }
        if TopicName.hasCollisionChars(spec.name) {
            let unified = TopicName.unifyCollisionChars(spec.name)
            if let other = image.topicIdsByName.keys.sorted().first(where: { TopicName.unifyCollisionChars($0) == unified }) {
                return .failure(ApiError(
                    .invalidTopicException, "Topic '\(spec.name)' collides with existing topic: \(other)"))
            }
        }
        let nullConfigs = spec.configs.filter { $0.value == nil }.map(\.name)
        if !nullConfigs.isEmpty {
            return .failure(ApiError(
                .invalidConfig, "Null value not supported for topic configs: \(nullConfigs.joined(separator: ","))"))
        }
        var setConfigs: [String: String] = [:]
        for config in spec.configs {
            if let message = configuration.configSchema.validate(.topic, config.name, config.value!) {
                return .failure(ApiError(.invalidConfig, message))
            }
            setConfigs[config.name] = config.value!
        }

        let replicaLists: [[Int32]]
        let replicationFactor: Int16
        if spec.assignments.isEmpty {
            let numPartitions = spec.numPartitions == -1 ? configuration.defaultNumPartitions : spec.numPartitions
            replicationFactor = spec.replicationFactor == -1
                ? configuration.defaultReplicationFactor : spec.replicationFactor
            if numPartitions <= 0 {
                return .failure(ApiError(
                    .invalidPartitions, "Number of partitions was set to an invalid non-positive value."))
            }
            if replicationFactor <= 0 {
                return .failure(ApiError(
                    .invalidReplicationFactor,
                    "Replication factor must be larger than 0, or -1 to use the default value."))
            }
            let placer = ReplicaPlacer(image: image)
            switch placer.place(startPartition: 0, count: numPartitions, replicationFactor: replicationFactor, using: &rng) {
            case .success(let lists): replicaLists = lists
            case .failure(let e):
                return .failure(ApiError(
                    .invalidReplicationFactor, "Unable to replicate the partition \(replicationFactor) time(s): \(e.message)"))
            }
        } else {
            if spec.replicationFactor != -1 {
                return .failure(ApiError(
                    .invalidRequest,
                    "A manual partition assignment was specified, but replication factor was not set to -1."))
            }
            if spec.numPartitions != -1 {
                return .failure(ApiError(
                    .invalidRequest, "A manual partition assignment was specified, but numPartitions was not set to -1."))
            }
            var byIndex: [Int32: [Int32]] = [:]
            var factor: Int?
            for assignment in spec.assignments {
                if byIndex[assignment.partitionIndex] != nil {
                    return .failure(ApiError(
                        .invalidReplicaAssignment,
                        "Found multiple manual partition assignments for partition \(assignment.partitionIndex)"))
                }
                if let message = validateManualAssignment(assignment.brokerIds, replicationFactor: factor) {
                    return .failure(ApiError(.invalidReplicaAssignment, message))
                }
                factor = assignment.brokerIds.count
                if !assignment.brokerIds.contains(where: { image.brokers[$0]?.isActive == true }) {
                    return .failure(ApiError(
                        .invalidReplicaAssignment,
                        "All brokers specified in the manual partition assignment for partition \(assignment.partitionIndex) are fenced or in controlled shutdown."))
                }
                byIndex[assignment.partitionIndex] = assignment.brokerIds
            }
            for i in 0..<Int32(byIndex.count) where byIndex[i] == nil {
                return .failure(ApiError(
                    .invalidReplicaAssignment, "partitions should be a consecutive 0-based integer sequence"))
            }
            replicaLists = (0..<Int32(byIndex.count)).map { byIndex[$0]! }
            replicationFactor = Int16(factor!)
        }

        if let policy = configuration.createTopicPolicy, let message = policy(spec) {
            return .failure(ApiError(.policyViolation, message))
        }

        var partitionRecords: [MetadataRecord] = []
        let topicId = newTopicId(taken: &takenIds, using: &rng)
        for (index, replicas) in replicaLists.enumerated() {
            let isr = replicas.filter { image.brokers[$0]?.isActive == true }
            if isr.isEmpty {
                return .failure(ApiError(
                    .invalidReplicationFactor,
                    "Unable to replicate the partition \(replicationFactor) time(s): All brokers are currently fenced or in controlled shutdown."))
            }
            partitionRecords.append(partitionRecord(topicId: topicId, partition: Int32(index), replicas: replicas, isr: isr))
        }

        var topic = TopicRecord()
        topic.name = spec.name
        topic.topicId = topicId
        var records: [MetadataRecord] = [.topic(topic)]
        // Kafka writes the topic's ConfigRecords right after its TopicRecord, before the partitions.
        for key in setConfigs.keys.sorted() {
            var config = ConfigRecord()
            config.resourceType = ConfigResource.ResourceType.topic.rawValue
            config.resourceName = spec.name
            config.name = key
            config.value = setConfigs[key]
            records.append(.config(config))
        }
        records += partitionRecords

        var effective: [String: CreateTopicResult.Config] = [:]
        for (key, value) in configuration.configSchema.defaults(.topic) {
            effective[key] = CreateTopicResult.Config(name: key, value: value, source: .defaultConfig)
        }
        for (key, value) in setConfigs {
            effective[key] = CreateTopicResult.Config(name: key, value: value, source: .dynamicTopicConfig)
        }
        let result = CreateTopicResult(
            name: spec.name, topicId: topicId, numPartitions: Int32(replicaLists.count),
            replicationFactor: replicationFactor, configs: effective.keys.sorted().map { effective[$0]! })
        return .success((records, result))
    }

    /// Kafka's checks on a manual replica list: not empty, registered brokers, no broker twice, and the same
    /// length as the topic's other partitions.
    func validateManualAssignment(_ brokerIds: [Int32], replicationFactor: Int?) -> String? {
        if brokerIds.isEmpty { return "The manual partition assignment includes an empty replica list." }
        var previous: Int32?
        for broker in brokerIds.sorted() {
            if image.brokers[broker] == nil {
                return "The manual partition assignment includes broker \(broker), but no such broker is registered."
            }
            if broker == previous {
                return "The manual partition assignment includes the broker \(broker) more than once."
            }
            previous = broker
        }
        if let factor = replicationFactor, factor != brokerIds.count {
            return "The manual partition assignment includes a partition with \(brokerIds.count) replica(s), but this is not consistent with previous partitions, which have \(factor) replica(s)."
        }
        return nil
    }

    /// A new partition: ISR = its active replicas, led by the first of them, epochs 0 (KIP-631).
    func partitionRecord(topicId: KafkaUUID, partition: Int32, replicas: [Int32], isr: [Int32]) -> MetadataRecord {
        let version = image.metadataVersion.partitionRecordVersion
        var record = PartitionRecord()
        record.partitionId = partition
        record.topicId = topicId
        record.replicas = replicas
        record.isr = isr
        record.leader = isr[0]
        record.leaderEpoch = 0
        record.partitionEpoch = 0
        if version >= 1 { record.directories = replicas.map(defaultDirectory(of:)) }
        return .partition(record, version: version)
    }

    /// The directory a new replica on `broker` goes to (Kafka's `defaultDir`, KIP-858): its only directory,
    /// MIGRATING when it registered none, UNASSIGNED when it has several (the broker then picks and reports it).
    func defaultDirectory(of broker: Int32) -> KafkaUUID {
        guard let registration = image.brokers[broker] else { return PartitionRegistration.unassignedDirectory }
        switch registration.logDirectories.count {
        case 0: return PartitionRegistration.migratingDirectory
        case 1: return registration.logDirectories[0]
        default: return PartitionRegistration.unassignedDirectory
        }
    }

    /// A random topic id as Kafka's `Uuid.randomUuid` makes them (never zero, never the metadata topic's id 1,
    /// never one whose base64 form starts with '-'), and not in use.
    func newTopicId(taken: inout Set<KafkaUUID>, using rng: inout some RandomNumberGenerator) -> KafkaUUID {
        while true {
            // Version-4 UUID bits, as java.util.UUID.randomUUID sets them.
            let hi = (rng.next() & ~UInt64(0xF000)) | 0x4000
            let lo = (rng.next() & ~(UInt64(0xC) << 60)) | (UInt64(0x8) << 60)
            let id = KafkaUUID(mostSignificantBits: hi, leastSignificantBits: lo)
            if id == .zero || id == KafkaUUID(mostSignificantBits: 0, leastSignificantBits: 1) { continue }
            if id.base64.hasPrefix("-") || image.topicsById[id] != nil || taken.contains(id) { continue }
            taken.insert(id)
            return id
        }
    }
}
