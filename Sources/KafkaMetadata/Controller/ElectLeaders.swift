import KafkaProtocol

/// ElectLeaders' election types (KIP-460; version 0 has preferred only, KIP-183).
public enum ElectionType: Int8, Hashable, Sendable {
    /// Move leadership back to the first replica when it is an active ISR member.
    case preferred = 0
    /// Give a leaderless partition a leader, from outside the ISR when no member is active.
    case unclean = 1
}

/// A topic's partitions in ElectLeaders: their ids in the request, their outcomes in the result.
public struct ElectLeadersTopic<Partition: Hashable & Sendable>: Hashable, Sendable {
    public var topic: String
    public var partitions: [Partition]

    public init(topic: String, partitions: [Partition]) {
        self.topic = topic
        self.partitions = partitions
    }
}

/// What an admin client asks of the controller in an ElectLeaders request.
public struct ElectLeadersSpec: Hashable, Sendable {
    public typealias Topic = ElectLeadersTopic<Int32>

    /// An `ElectionType` raw value, kept raw so that an unknown one can be refused (INVALID_REQUEST).
    public var electionType: Int8
    /// The partitions to elect leaders for; nil for every partition of every topic.
    public var topics: [Topic]?

    public init(electionType: Int8 = ElectionType.preferred.rawValue, topics: [Topic]?) {
        self.electionType = electionType
        self.topics = topics
    }
}

/// The controller's answer to ElectLeaders: an outcome per partition, and an error for the whole request.
public struct ElectLeadersResult: Hashable, Sendable {
    public struct Partition: Hashable, Sendable {
        public var partitionId: Int32
        /// None once a new leader is elected, ELECTION_NOT_NEEDED, or why no leader could be.
        public var error: ApiError

        public init(partitionId: Int32, error: ApiError = .none) {
            self.partitionId = partitionId
            self.error = error
        }
    }

    public typealias Topic = ElectLeadersTopic<Partition>

    /// The top-level error (version 1+): INVALID_REQUEST, NOT_CONTROLLER, REQUEST_TIMED_OUT.
    public var error: ApiError
    public var topics: [Topic]

    public init(error: ApiError = .none, topics: [Topic] = []) {
        self.error = error
        self.topics = topics
    }

    /// The whole request refused with `error`: every partition it names gets it too, and a request for every
    /// partition gets it alone (Kafka's `ElectLeadersRequest.getErrorResponse`).
    public init(refusing spec: ElectLeadersSpec, with error: ApiError) {
        self.init(error: error, topics: (spec.topics ?? []).map { t in
            Topic(topic: t.topic, partitions: t.partitions.map { Partition(partitionId: $0, error: error) })
        })
    }
}

extension QuorumController {
    /// ElectLeaders: a PartitionChangeRecord for each partition that gets a new leader; Kafka 3.7's
    /// `ReplicationControlManager.electLeaders`.
    ///
    /// Preferred: ELECTION_NOT_NEEDED when the first replica leads; else it leads if it is an active ISR member,
    /// else PREFERRED_LEADER_NOT_AVAILABLE. Unclean: ELECTION_NOT_NEEDED when the partition has a leader; else an
    /// active ISR member, else any active replica, which becomes the only ISR member with the partition RECOVERING
    /// (KIP-704), else ELIGIBLE_LEADERS_NOT_AVAILABLE. Either election bumps the leader epoch. A request for every
    /// partition (nil topics) answers each topic with only the partitions that needed an election. An empty list
    /// is answered at once, even with an unknown election type, as Kafka's controller does.
    public func electLeaders(_ request: ElectLeadersSpec) -> ControllerResult<ElectLeadersResult> {
        if let topics = request.topics, topics.isEmpty {
            return ControllerResult(records: [], response: ElectLeadersResult())
        }
        guard let type = ElectionType(rawValue: request.electionType) else {
            let error = ApiError(.invalidRequest, "Unknown election type \(request.electionType)")
            return ControllerResult(records: [], response: ElectLeadersResult(refusing: request, with: error))
        }
        var election = Election(type: type)
        var topics: [ElectLeadersResult.Topic] = []
        if let requested = request.topics {
            for t in requested {
                topics.append(.init(topic: t.topic, partitions: t.partitions.map {
                    .init(partitionId: $0, error: election.run(t.topic, $0, on: self))
                }))
            }
        } else {
            for topic in image.topicsByName {
                let partitions = topic.sortedPartitions.map {
                    ElectLeadersResult.Partition(partitionId: $0.partitionId, error: election.run(topic.name, $0.partitionId, on: self))
                }
                topics.append(.init(topic: topic.name, partitions: partitions.filter { $0.error.error != .electionNotNeeded }))
            }
        }
        return ControllerResult(records: election.records, response: ElectLeadersResult(topics: topics))
    }

    /// One ElectLeaders run: the records so far, and each partition's answer so that a partition named twice is
    /// elected once (Kafka would write a second record against the same unreplayed state).
    private struct Election {
        let type: ElectionType
        var records: [MetadataRecord] = []
        var answers: [String: [Int32: ApiError]] = [:]

        init(type: ElectionType) { self.type = type }

        mutating func run(_ topic: String, _ partitionId: Int32, on controller: QuorumController) -> ApiError {
            if let answer = answers[topic]?[partitionId] { return answer }
            let answer = controller.electLeader(topic, partitionId, type, into: &records)
            answers[topic, default: [:]][partitionId] = answer
            return answer
        }
    }

    /// Kafka's `electLeader` for one partition, appending its record when a leader is elected.
    private func electLeader(
        _ topicName: String, _ partitionId: Int32, _ type: ElectionType, into records: inout [MetadataRecord]
    ) -> ApiError {
        guard let topic = image.topic(named: topicName) else {
            return ApiError(.unknownTopicOrPartition, "No such topic as \(topicName)")
        }
        guard let partition = topic.partitions[partitionId] else {
            return ApiError(.unknownTopicOrPartition, "No such partition as \(topicName)-\(partitionId)")
        }
        let notNeeded = switch type {
        case .preferred: partition.leader == (partition.replicas.first ?? PartitionRegistration.noLeader)
        case .unclean: partition.leader != PartitionRegistration.noLeader
        }
        if notNeeded { return ApiError(.electionNotNeeded, "Leader election not needed for topic partition.") }
        guard let change = partitionChange(
            partition, topicId: topic.id, targetIsr: partition.isr, election: type == .preferred ? .preferred : .unclean,
            isAcceptable: isActiveBroker)
        else {
            return type == .preferred
                ? ApiError(.preferredLeaderNotAvailable, "The preferred leader was not available.")
                : ApiError(.eligibleLeadersNotAvailable, "Eligible topic partition leaders are not available.")
        }
        records.append(.partitionChange(change, version: image.metadataVersion.partitionChangeRecordVersion))
        return .none
    }
}
