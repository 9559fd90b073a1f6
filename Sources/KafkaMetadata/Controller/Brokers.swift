import KafkaProtocol

/// What a broker sends to register (the fields of BrokerRegistrationRequest the controller records).
public struct BrokerRegistrationSpec: Hashable, Sendable {
    public var brokerId: Int32
    public var incarnationId: KafkaUUID
    public var listeners: [BrokerRegistration.Endpoint]
    public var supportedFeatures: [BrokerRegistration.SupportedFeature]
    public var rack: String?
    public var logDirectories: [KafkaUUID]

    public init(
        brokerId: Int32, incarnationId: KafkaUUID, listeners: [BrokerRegistration.Endpoint],
        supportedFeatures: [BrokerRegistration.SupportedFeature] = [], rack: String? = nil,
        logDirectories: [KafkaUUID] = []
    ) {
        self.brokerId = brokerId
        self.incarnationId = incarnationId
        self.listeners = listeners
        self.supportedFeatures = supportedFeatures
        self.rack = rack
        self.logDirectories = logDirectories
    }
}

/// The answer to a broker registration: its epoch, or why it was refused.
public struct BrokerRegistrationResult: Hashable, Sendable {
    public var error: ApiError
    /// -1 on error.
    public var brokerEpoch: Int64

    public init(error: ApiError = .none, brokerEpoch: Int64 = -1) {
        self.error = error
        self.brokerEpoch = brokerEpoch
    }
}

extension QuorumController {
    /// BrokerRegistration: a RegisterBrokerRecord.
    ///
    /// - Parameters:
    ///   - brokerEpoch: the new epoch. Kafka uses the metadata log offset the record will get, so that epochs
    ///     only grow; the driver knows that offset, the controller does not.
    ///   - fenced: Kafka registers brokers fenced and unfences them on a heartbeat once they have caught up with
    ///     the metadata log (KIP-631); a combined single node, which is caught up by construction, may pass false.
    ///   - previousSessionAlive: whether the broker's current registration still has a live heartbeat session; a
    ///     different incarnation then means two processes claim one id (DUPLICATE_BROKER_REGISTRATION).
    public func registerBroker(
        _ spec: BrokerRegistrationSpec, brokerEpoch: Int64, fenced: Bool = true, previousSessionAlive: Bool = false
    ) -> ControllerResult<BrokerRegistrationResult> {
        if let existing = image.brokers[spec.brokerId], previousSessionAlive, existing.incarnationId != spec.incarnationId {
            return ControllerResult(records: [], response: BrokerRegistrationResult(
                error: ApiError(.duplicateBrokerRegistration, "Another broker is registered with that broker id.")))
        }
        // A broker that cannot run at the finalized level of a feature would misread the log (KIP-584).
        for (name, level) in image.features.sorted(by: { $0.key < $1.key }) {
            let supported = spec.supportedFeatures.first { $0.name == name }
            let range = supported.map { $0.minVersion...$0.maxVersion } ?? 0...0
            if !range.contains(level) {
                return ControllerResult(records: [], response: BrokerRegistrationResult(error: ApiError(
                    .unsupportedVersion,
                    "Unable to register because the broker does not support version \(level) of \(name). It wants a version between \(range.lowerBound) and \(range.upperBound), inclusive.")))
            }
        }
        let version = image.metadataVersion.registerBrokerRecordVersion
        var record = RegisterBrokerRecord()
        record.brokerId = spec.brokerId
        record.incarnationId = spec.incarnationId
        record.brokerEpoch = brokerEpoch
        record.endPoints = spec.listeners.map(\.record)
        record.features = spec.supportedFeatures.map(\.record)
        record.rack = spec.rack
        record.fenced = fenced
        if version >= 3 { record.logDirs = spec.logDirectories }
        return ControllerResult(
            records: [.registerBroker(record, version: version)],
            response: BrokerRegistrationResult(brokerEpoch: brokerEpoch))
    }

    /// A new incarnation of a broker registering while the previous one's registration is still unfenced (its
    /// session ran out, but no tick has fenced it yet): the previous one is fenced first, with the records a
    /// session expiry writes — its leaderships move to other ISR members and it leaves the ISRs — before the new
    /// registration replaces it. Otherwise the partitions it led would keep it as leader at the same leader
    /// epoch, and a node that restarted after losing its unflushed tail would lead them again with a shorter log
    /// and take the ISR away from the replicas holding the committed records (found by the fault rounds: a kill
    /// -9, a torn tail and a restart within a second of the session's end lost acknowledged records). Kafka's
    /// controller fences a stale broker at the exact expiry time, which makes this window small there; KIP-966
    /// handles a registration after an unclean shutdown in the same spirit.
    func fencingPreviousIncarnation(of spec: BrokerRegistrationSpec) -> [MetadataRecord] {
        guard let existing = image.brokers[spec.brokerId], existing.incarnationId != spec.incarnationId,
              !existing.fenced else { return [] }
        return fenceBroker(spec.brokerId, brokerEpoch: existing.epoch).records
    }

    /// Unfences a broker (a heartbeat from a caught-up broker): the registration change, then leaders for the
    /// partitions that have none: an active ISR member, else (with `unclean.leader.election.enable`) any active
    /// replica. No records when it is already unfenced.
    public func unfenceBroker(_ brokerId: Int32, brokerEpoch: Int64) -> ControllerResult<ApiError> {
        if let error = checkBrokerEpoch(brokerId, brokerEpoch) { return ControllerResult(records: [], response: error) }
        guard image.brokers[brokerId]!.fenced else { return ControllerResult(records: [], response: .none) }
        let mv = image.metadataVersion
        var records: [MetadataRecord] = []
        if mv.usesBrokerRegistrationChangeRecord {
            var r = BrokerRegistrationChangeRecord()
            r.brokerId = brokerId
            r.brokerEpoch = brokerEpoch
            r.fenced = -1
            records.append(.brokerRegistrationChange(r, version: mv.brokerRegistrationChangeRecordVersion))
        } else {
            var r = UnfenceBrokerRecord()
            r.id = brokerId
            r.epoch = brokerEpoch
            records.append(.unfenceBroker(r))
        }
        var active = Set(image.activeBrokerIds)
        if image.brokers[brokerId]?.inControlledShutdown == false { active.insert(brokerId) }
        for topic in image.topicsByName {
            let election = electionOnBrokerChange(topic.name)
            for partition in topic.sortedPartitions where partition.leader == PartitionRegistration.noLeader {
                // The first replica, in replica order, that is in the ISR and active; with unclean election enabled
                // any active replica, so the returning broker may lead a partition whose ISR is still down.
                guard let change = partitionChange(partition, topicId: topic.id, targetIsr: partition.isr,
                                                   election: election, isAcceptable: active.contains) else { continue }
                records.append(.partitionChange(change, version: mv.partitionChangeRecordVersion))
            }
        }
        return ControllerResult(records: records, response: .none)
    }

    /// Fences a broker (its heartbeat session expired): the registration change, then it leaves every ISR it is
    /// in, except as the last member, and loses leadership to the next active ISR member, else (with
    /// `unclean.leader.election.enable`) to any active replica, else to no one.
    public func fenceBroker(_ brokerId: Int32, brokerEpoch: Int64) -> ControllerResult<ApiError> {
        if let error = checkBrokerEpoch(brokerId, brokerEpoch) { return ControllerResult(records: [], response: error) }
        guard !image.brokers[brokerId]!.fenced else { return ControllerResult(records: [], response: .none) }
        let mv = image.metadataVersion
        var records: [MetadataRecord] = []
        if mv.usesBrokerRegistrationChangeRecord {
            var r = BrokerRegistrationChangeRecord()
            r.brokerId = brokerId
            r.brokerEpoch = brokerEpoch
            r.fenced = 1
            records.append(.brokerRegistrationChange(r, version: mv.brokerRegistrationChangeRecordVersion))
        } else {
            var r = FenceBrokerRecord()
            r.id = brokerId
            r.epoch = brokerEpoch
            records.append(.fenceBroker(r))
        }
        let active = Set(image.activeBrokerIds).subtracting([brokerId])
        for topic in image.topicsByName {
            let election = electionOnBrokerChange(topic.name)
            for partition in topic.sortedPartitions where partition.isr.contains(brokerId) {
                // Without eligible leader replicas (KIP-966) the last ISR member stays (`partitionChange`), so that
                // the partition can come back with its data when that broker does, unless unclean election is
                // enabled and another replica is active.
                let targetIsr = partition.isr.filter { $0 != brokerId }
                guard let change = partitionChange(partition, topicId: topic.id, targetIsr: targetIsr,
                                                   election: election, isAcceptable: active.contains) else { continue }
                records.append(.partitionChange(change, version: mv.partitionChangeRecordVersion))
            }
        }
        return ControllerResult(records: records, response: .none)
    }

    /// How the controller elects a leader when a broker comes or goes (Kafka's `generateLeaderAndIsrUpdates`).
    private func electionOnBrokerChange(_ topic: String) -> LeaderElection {
        uncleanLeaderElectionEnabled(forTopic: topic) ? .unclean : .online
    }

    /// Kafka's `checkBrokerEpoch`: STALE_BROKER_EPOCH for an unknown broker or another epoch.
    func checkBrokerEpoch(_ brokerId: Int32, _ brokerEpoch: Int64) -> ApiError? {
        guard let broker = image.brokers[brokerId] else {
            return ApiError(.staleBrokerEpoch, "No broker registration found for broker \(brokerId)")
        }
        if broker.epoch != brokerEpoch {
            return ApiError(.staleBrokerEpoch, "Expected broker epoch \(broker.epoch), but got broker epoch \(brokerEpoch)")
        }
        return nil
    }
}
