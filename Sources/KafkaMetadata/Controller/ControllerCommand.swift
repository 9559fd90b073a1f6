import KafkaProtocol

/// A request to the active controller, the same whether that controller runs in this process or on another node:
/// each case is one controller RPC of Kafka's (BrokerRegistration, BrokerHeartbeat, AllocateProducerIds,
/// AlterPartition, and the admin requests a broker forwards: CreateTopics, CreatePartitions, DeleteTopics,
/// AlterConfigs, IncrementalAlterConfigs, ElectLeaders). A value, so a driver can queue, batch, log or forward it.
public enum ControllerCommand: Sendable {
    /// Registers a broker. Its epoch is not chosen by the sender: the controller gives it the metadata log
    /// offset of the registration record, as Kafka does.
    case registerBroker(BrokerRegistrationSpec, fenced: Bool = true)
    case brokerHeartbeat(BrokerHeartbeatSpec)
    case allocateProducerIds(brokerId: Int32, brokerEpoch: Int64)
    /// A partition leader's ISR changes (KIP-497).
    case alterPartition(AlterPartitionSpec)
    case createTopics([CreateTopicSpec], validateOnly: Bool)
    case createPartitions([CreatePartitionsSpec], validateOnly: Bool)
    case deleteTopics([DeleteTopicSpec], apiVersion: Int16)
    case electLeaders(ElectLeadersSpec)
    case incrementalAlterConfigs([IncrementalAlterConfigsSpec], validateOnly: Bool)
    case alterConfigs([AlterConfigsSpec], validateOnly: Bool)

    /// The RPC's name, for logs and errors.
    public var name: String {
        switch self {
        case .registerBroker: "BrokerRegistration"
        case .brokerHeartbeat: "BrokerHeartbeat"
        case .allocateProducerIds: "AllocateProducerIds"
        case .alterPartition: "AlterPartition"
        case .createTopics: "CreateTopics"
        case .createPartitions: "CreatePartitions"
        case .deleteTopics: "DeleteTopics"
        case .electLeaders: "ElectLeaders"
        case .incrementalAlterConfigs: "IncrementalAlterConfigs"
        case .alterConfigs: "AlterConfigs"
        }
    }
}

/// The controller's answer to a `ControllerCommand`, sent once the command's records are committed; the case
/// matches the command's.
public enum ControllerReply: Sendable {
    case brokerRegistration(BrokerRegistrationResult)
    case brokerHeartbeat(BrokerHeartbeatResult)
    case producerIds(ProducerIdBlock)
    case alterPartition(AlterPartitionResult)
    case createTopics([CreateTopicResult])
    case createPartitions([CreatePartitionsResult])
    case deleteTopics([DeleteTopicResult])
    case electLeaders(ElectLeadersResult)
    /// Both AlterConfigs and IncrementalAlterConfigs.
    case alterConfigs([AlterConfigsResult])
}

/// What a driver knows when it runs a command and the controller does not: the time and the log position.
public struct CommandContext: Hashable, Sendable {
    /// When the command arrived, in milliseconds (heartbeat sessions are measured from it).
    public var now: Int64
    /// The offset the command's first record will get (a registration's broker epoch).
    public var nextOffset: Int64

    public init(now: Int64, nextOffset: Int64) {
        self.now = now
        self.nextOffset = nextOffset
    }
}

extension QuorumController {
    /// Runs one command against the current image: its records and its reply. Nothing but the heartbeat sessions
    /// changes until the driver replays the records (see `QuorumController`).
    public mutating func execute(
        _ command: ControllerCommand, context: CommandContext, using rng: inout some RandomNumberGenerator
    ) -> ControllerResult<ControllerReply> {
        switch command {
        case .registerBroker(let spec, let fenced):
            let alive = image.brokers[spec.brokerId].map {
                sessions.hasValidSession(spec.brokerId, brokerEpoch: $0.epoch, now: context.now)
            } ?? false
            let r = registerBroker(spec, brokerEpoch: context.nextOffset, fenced: fenced, previousSessionAlive: alive)
            guard r.response.error.isSuccess else {
                return ControllerResult(records: r.records, response: .brokerRegistration(r.response))
            }
            // The new epoch's session starts with its registration (Kafka touches the broker on register).
            sessions.touch(spec.brokerId, brokerEpoch: context.nextOffset, now: context.now)
            return ControllerResult(records: fencingPreviousIncarnation(of: spec) + r.records,
                                    response: .brokerRegistration(r.response))
        case .brokerHeartbeat(let hb):
            let r = brokerHeartbeat(hb, now: context.now)
            return ControllerResult(records: r.records, response: .brokerHeartbeat(r.response))
        case .allocateProducerIds(let brokerId, let brokerEpoch):
            let r = allocateProducerIds(brokerId: brokerId, brokerEpoch: brokerEpoch)
            return ControllerResult(records: r.records, response: .producerIds(r.response))
        case .alterPartition(let spec):
            let r = alterPartition(spec)
            return ControllerResult(records: r.records, response: .alterPartition(r.response))
        case .createTopics(let specs, let validateOnly):
            let r = createTopics(specs, validateOnly: validateOnly, using: &rng)
            return ControllerResult(records: r.records, response: .createTopics(r.response))
        case .createPartitions(let specs, let validateOnly):
            let r = createPartitions(specs, validateOnly: validateOnly, using: &rng)
            return ControllerResult(records: r.records, response: .createPartitions(r.response))
        case .deleteTopics(let specs, let apiVersion):
            let r = deleteTopics(specs, apiVersion: apiVersion)
            return ControllerResult(records: r.records, response: .deleteTopics(r.response))
        case .electLeaders(let spec):
            let r = electLeaders(spec)
            return ControllerResult(records: r.records, response: .electLeaders(r.response))
        case .incrementalAlterConfigs(let specs, let validateOnly):
            let r = incrementalAlterConfigs(specs, validateOnly: validateOnly)
            return ControllerResult(records: r.records, response: .alterConfigs(r.response))
        case .alterConfigs(let specs, let validateOnly):
            let r = alterConfigs(specs, validateOnly: validateOnly)
            return ControllerResult(records: r.records, response: .alterConfigs(r.response))
        }
    }
}
