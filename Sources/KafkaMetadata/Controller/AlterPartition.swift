import KafkaProtocol

/// What a partition leader asks of the controller in an AlterPartition request (KIP-497): new ISRs for the
/// partitions it leads.
public struct AlterPartitionSpec: Hashable, Sendable {
    /// How a topic is named: by name before version 2, by id from version 2 (KIP-841).
    public enum TopicReference: Hashable, Sendable {
        case name(String)
        case id(KafkaUUID)
    }

    /// A member of a proposed ISR. Versions 0-2 send the broker id alone (epoch -1: not checked); version 3 adds
    /// the broker epoch the leader saw the follower fetch with, so that a follower which has restarted since
    /// (and may have lost its log) does not rejoin on the strength of an old fetch (KIP-903).
    public struct Replica: Hashable, Sendable {
        public var brokerId: Int32
        public var brokerEpoch: Int64

        public init(brokerId: Int32, brokerEpoch: Int64 = -1) {
            self.brokerId = brokerId
            self.brokerEpoch = brokerEpoch
        }
    }

    public struct Partition: Hashable, Sendable {
        public var partitionIndex: Int32
        /// The leader epoch the sender leads at.
        public var leaderEpoch: Int32
        public var newIsrWithEpochs: [Replica]
        /// 0 recovered, 1 recovering after an unclean election (KIP-704); version 0 has no field: recovered.
        public var leaderRecoveryState: Int8
        /// The partition epoch the sender last learnt; the change applies to that state only.
        public var partitionEpoch: Int32

        public init(
            partitionIndex: Int32, leaderEpoch: Int32, newIsrWithEpochs: [Replica], leaderRecoveryState: Int8 = 0,
            partitionEpoch: Int32
        ) {
            self.partitionIndex = partitionIndex
            self.leaderEpoch = leaderEpoch
            self.newIsrWithEpochs = newIsrWithEpochs
            self.leaderRecoveryState = leaderRecoveryState
            self.partitionEpoch = partitionEpoch
        }
    }

    public struct Topic: Hashable, Sendable {
        public var topic: TopicReference
        public var partitions: [Partition]

        public init(topic: TopicReference, partitions: [Partition]) {
            self.topic = topic
            self.partitions = partitions
        }
    }

    /// The sender, which must lead every partition it names.
    public var brokerId: Int32
    public var brokerEpoch: Int64
    public var topics: [Topic]
    /// The request's version: senders before version 2 get older codes for some refusals.
    public var apiVersion: Int16

    public init(brokerId: Int32, brokerEpoch: Int64, topics: [Topic], apiVersion: Int16 = 3) {
        self.brokerId = brokerId
        self.brokerEpoch = brokerEpoch
        self.topics = topics
        self.apiVersion = apiVersion
    }
}

/// The controller's answer to AlterPartition.
public struct AlterPartitionResult: Hashable, Sendable {
    /// One partition's outcome: on success the registration after the change (or the current one when nothing
    /// changed), which the leader adopts; on failure only the error.
    public struct Partition: Hashable, Sendable {
        public var partitionIndex: Int32
        public var error: ApiError
        public var leaderId: Int32
        public var leaderEpoch: Int32
        public var isr: [Int32]
        public var leaderRecoveryState: Int8
        public var partitionEpoch: Int32

        public init(partitionIndex: Int32, error: ApiError = .none, leaderId: Int32 = -1, leaderEpoch: Int32 = -1,
                    isr: [Int32] = [], leaderRecoveryState: Int8 = 0, partitionEpoch: Int32 = -1) {
            self.partitionIndex = partitionIndex
            self.error = error
            self.leaderId = leaderId
            self.leaderEpoch = leaderEpoch
            self.isr = isr
            self.leaderRecoveryState = leaderRecoveryState
            self.partitionEpoch = partitionEpoch
        }

        init(_ registration: PartitionRegistration) {
            self.init(
                partitionIndex: registration.partitionId, leaderId: registration.leader,
                leaderEpoch: registration.leaderEpoch, isr: registration.isr,
                leaderRecoveryState: registration.leaderRecoveryState, partitionEpoch: registration.partitionEpoch)
        }
    }

    public struct Topic: Hashable, Sendable {
        /// As the request named it.
        public var topic: AlterPartitionSpec.TopicReference
        public var partitions: [Partition]

        public init(topic: AlterPartitionSpec.TopicReference, partitions: [Partition]) {
            self.topic = topic
            self.partitions = partitions
        }
    }

    /// An error for the request as a whole (STALE_BROKER_EPOCH, NOT_CONTROLLER); `topics` is then empty.
    public var error: ApiError
    public var topics: [Topic]

    public init(error: ApiError = .none, topics: [Topic] = []) {
        self.error = error
        self.topics = topics
    }
}

extension QuorumController {
    /// AlterPartition: a PartitionChangeRecord for each partition whose ISR or leader recovery state the leader
    /// may change and does, answered with the partition as the record leaves it; Kafka 3.7's
    /// `ReplicationControlManager.alterPartition`. A sender whose broker epoch is not its registration's is refused
    /// as a whole (STALE_BROKER_EPOCH); each partition is checked on its own (`refusal(of:...)`).
    ///
    /// The leader never changes here: the new ISR must hold the leader, and every member must be active, so the
    /// leader stays electable. (In Kafka it can change when the ISR completes a reassignment, which Tributary does
    /// not run.) From metadata.version 3.6-IV0 a shrink keeps the leader epoch (KAFKA-15021); before, the leader
    /// is set to itself, which bumps it.
    public func alterPartition(_ request: AlterPartitionSpec) -> ControllerResult<AlterPartitionResult> {
        if let error = checkBrokerEpoch(request.brokerId, request.brokerEpoch) {
            return ControllerResult(records: [], response: AlterPartitionResult(error: error))
        }
        var records: [MetadataRecord] = []
        var topics: [AlterPartitionResult.Topic] = []
        for spec in request.topics {
            let topic: TopicImage?
            let unknown: ApiError
            switch spec.topic {
            case .name(let name):
                topic = image.topic(named: name)
                unknown = ApiError(.unknownTopicOrPartition, "Unknown topic \(name).")
            case .id(let id):
                topic = image.topic(id: id)
                unknown = ApiError(.unknownTopicId, "Unknown topic id \(id).")
            }
            guard let topic else {
                topics.append(.init(topic: spec.topic, partitions: spec.partitions.map {
                    .init(partitionIndex: $0.partitionIndex, error: unknown)
                }))
                continue
            }
            var partitions: [AlterPartitionResult.Partition] = []
            for p in spec.partitions {
                guard let current = topic.partitions[p.partitionIndex] else {
                    partitions.append(.init(partitionIndex: p.partitionIndex, error: ApiError(
                        .unknownTopicOrPartition, "Unknown partition \(topic.name)-\(p.partitionIndex).")))
                    continue
                }
                if let error = refusal(of: p, current: current, topic: topic.name, brokerId: request.brokerId,
                                       apiVersion: request.apiVersion) {
                    partitions.append(.init(partitionIndex: p.partitionIndex, error: error))
                    continue
                }
                guard let change = isrChange(p, current: current, topicId: topic.id) else {
                    partitions.append(.init(current))
                    continue
                }
                records.append(.partitionChange(change, version: image.metadataVersion.partitionChangeRecordVersion))
                partitions.append(.init(current.merging(change)))
            }
            topics.append(.init(topic: spec.topic, partitions: partitions))
        }
        return ControllerResult(records: records, response: AlterPartitionResult(topics: topics))
    }

    /// Why the partition's change is refused, in Kafka's order of checks, or nil.
    private func refusal(
        of p: AlterPartitionSpec.Partition, current: PartitionRegistration, topic: String, brokerId: Int32,
        apiVersion: Int16
    ) -> ApiError? {
        let name = "partition \(topic)-\(current.partitionId)"
        // A sender ahead of this controller has seen a newer state: this node has likely stopped being the active
        // controller, and NOT_CONTROLLER sends the leader looking for the new one.
        if p.leaderEpoch > current.leaderEpoch || p.partitionEpoch > current.partitionEpoch {
            return ApiError(.notController, "The \(name) is at leader epoch \(current.leaderEpoch) and partition epoch "
                + "\(current.partitionEpoch), behind the request.")
        }
        if p.leaderEpoch < current.leaderEpoch {
            return ApiError(
                .fencedLeaderEpoch, "The \(name) is at leader epoch \(current.leaderEpoch), not \(p.leaderEpoch).")
        }
        if brokerId != current.leader {
            return ApiError(.invalidRequest, "The leader of \(name) is \(current.leader), not \(brokerId).")
        }
        if p.partitionEpoch < current.partitionEpoch {
            return ApiError(
                .invalidUpdateVersion,
                "The \(name) is at partition epoch \(current.partitionEpoch), not \(p.partitionEpoch).")
        }
        let isr = p.newIsrWithEpochs.map(\.brokerId)
        if Set(isr).count != isr.count || !isr.allSatisfy(current.replicas.contains) {
            return ApiError(
                .invalidRequest, "The ISR \(isr) of \(name) is not a set of its replicas \(current.replicas).")
        }
        if !isr.contains(current.leader) {
            return ApiError(.invalidRequest, "The ISR \(isr) of \(name) does not hold its leader \(current.leader).")
        }
        // Kafka cannot parse other values and fails the whole request; one partition's bad field is refused alone here.
        guard p.leaderRecoveryState == Self.recovered || p.leaderRecoveryState == Self.recovering else {
            return ApiError(.invalidRequest, "Unknown leader recovery state \(p.leaderRecoveryState).")
        }
        // A leader recovering from an unclean election (KIP-704) must be the only member until it has recovered,
        // and a recovered partition cannot go back to recovering.
        if p.leaderRecoveryState == Self.recovering && isr.count > 1 {
            return ApiError(
                .invalidRequest, "The ISR \(isr) of \(name) has more than its leader while the leader is recovering.")
        }
        if current.leaderRecoveryState == Self.recovered && p.leaderRecoveryState == Self.recovering {
            return ApiError(
                .invalidRequest, "The leader recovery state of \(name) cannot go from recovered to recovering.")
        }
        let ineligible = p.newIsrWithEpochs.compactMap(ineligibility)
        if !ineligible.isEmpty {
            // INELIGIBLE_REPLICA is new in version 2 (KIP-841); older senders retry on OPERATION_NOT_ATTEMPTED.
            let message = "Ineligible replicas in the ISR of \(name): \(ineligible.joined(separator: ", "))."
            return ApiError(apiVersion > 1 ? .ineligibleReplica : .operationNotAttempted, message)
        }
        return nil
    }

    /// Why `replica` may not join an ISR (KIP-841: only active brokers; KIP-903: at the epoch the leader saw), or nil.
    private func ineligibility(_ replica: AlterPartitionSpec.Replica) -> String? {
        let id = replica.brokerId
        guard let broker = image.brokers[id] else { return "broker \(id) is not registered" }
        if broker.inControlledShutdown { return "broker \(id) is shutting down" }
        if broker.fenced { return "broker \(id) is fenced" }
        if replica.brokerEpoch != -1 && replica.brokerEpoch != broker.epoch {
            return "broker \(id) is at epoch \(broker.epoch), not \(replica.brokerEpoch)"
        }
        return nil
    }

    /// The change an accepted request makes, or nil when it asks for the partition as it is.
    private func isrChange(
        _ p: AlterPartitionSpec.Partition, current: PartitionRegistration, topicId: KafkaUUID
    ) -> PartitionChangeRecord? {
        let isr = p.newIsrWithEpochs.map(\.brokerId)
        var change = PartitionChangeRecord()
        change.topicId = topicId
        change.partitionId = current.partitionId
        // Kafka compares the lists, so a reordered ISR is a change too.
        if isr != current.isr { change.isr = isr }
        if p.leaderRecoveryState != current.leaderRecoveryState { change.leaderRecoveryState = p.leaderRecoveryState }
        if image.metadataVersion.bumpsLeaderEpochOnIsrShrink && !current.isr.allSatisfy(isr.contains) {
            change.leader = current.leader
        }
        let noChange = change.isr == nil && change.leaderRecoveryState == -1
            && change.leader == PartitionRegistration.noLeaderChange
        return noChange ? nil : change
    }

    private static let recovered: Int8 = 0
    private static let recovering: Int8 = 1
}
