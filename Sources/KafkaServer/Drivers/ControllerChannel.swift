import KafkaMetadata

/// How the broker side reaches the active controller: one `submit` that answers once the command's records are
/// committed. `MetadataDriver` implements it in process; a forwarding implementation (the multi-node quorum)
/// sends each command as its Kafka RPC to the active controller and answers with the decoded response, so
/// handlers, start-up and the coordinators are the same code either way. See docs/controller.md.
public protocol ControllerChannel: Sendable {
    /// Runs `command` on the active controller and returns its reply after its records are committed (and, in
    /// process, replayed into the image `MetadataCache` publishes). Throws when the controller cannot be reached
    /// or its log cannot be written; per-item failures come back inside the reply.
    func submit(_ command: ControllerCommand) async throws -> ControllerReply
}

/// A reply whose case does not match its command: a bug of the channel, never an answer to forward.
public struct UnexpectedControllerReply: Error, CustomStringConvertible {
    public var command: String
    public var reply: ControllerReply?
    public var description: String { "the controller answered \(command) with \(reply.map { "\($0)" } ?? "no reply")" }
}

// Typed calls, one per command, so a caller never matches on the reply enum itself.
extension ControllerChannel {
    /// `submit`, with the reply's payload taken out; a reply of another case throws.
    func call<Payload>(_ command: ControllerCommand, _ payload: (ControllerReply) -> Payload?) async throws -> Payload {
        let reply = try await submit(command)
        guard let value = payload(reply) else { throw UnexpectedControllerReply(command: command.name, reply: reply) }
        return value
    }

    public func registerBroker(_ spec: BrokerRegistrationSpec, fenced: Bool = true) async throws -> BrokerRegistrationResult {
        try await call(.registerBroker(spec, fenced: fenced)) { if case .brokerRegistration(let r) = $0 { r } else { nil } }
    }

    public func brokerHeartbeat(_ spec: BrokerHeartbeatSpec) async throws -> BrokerHeartbeatResult {
        try await call(.brokerHeartbeat(spec)) { if case .brokerHeartbeat(let r) = $0 { r } else { nil } }
    }

    public func allocateProducerIds(brokerId: Int32, brokerEpoch: Int64) async throws -> ProducerIdBlock {
        try await call(.allocateProducerIds(brokerId: brokerId, brokerEpoch: brokerEpoch)) { if case .producerIds(let r) = $0 { r } else { nil } }
    }

    /// AlterPartition (KIP-497), for a partition leader changing its ISR; per-partition refusals come back inside
    /// the result.
    public func alterPartition(_ spec: AlterPartitionSpec) async throws -> AlterPartitionResult {
        try await call(.alterPartition(spec)) { if case .alterPartition(let r) = $0 { r } else { nil } }
    }

    public func createTopics(_ specs: [CreateTopicSpec], validateOnly: Bool = false) async throws -> [CreateTopicResult] {
        try await call(.createTopics(specs, validateOnly: validateOnly)) { if case .createTopics(let r) = $0 { r } else { nil } }
    }

    public func createPartitions(_ specs: [CreatePartitionsSpec], validateOnly: Bool) async throws -> [CreatePartitionsResult] {
        try await call(.createPartitions(specs, validateOnly: validateOnly)) { if case .createPartitions(let r) = $0 { r } else { nil } }
    }

    public func deleteTopics(_ specs: [DeleteTopicSpec], apiVersion: Int16) async throws -> [DeleteTopicResult] {
        try await call(.deleteTopics(specs, apiVersion: apiVersion)) { if case .deleteTopics(let r) = $0 { r } else { nil } }
    }

    /// ElectLeaders (KIP-183, KIP-460): preferred or unclean elections; per-partition outcomes come back inside the
    /// result.
    public func electLeaders(_ spec: ElectLeadersSpec) async throws -> ElectLeadersResult {
        try await call(.electLeaders(spec)) { if case .electLeaders(let r) = $0 { r } else { nil } }
    }

    public func incrementalAlterConfigs(_ specs: [IncrementalAlterConfigsSpec], validateOnly: Bool) async throws -> [AlterConfigsResult] {
        try await call(.incrementalAlterConfigs(specs, validateOnly: validateOnly)) { if case .alterConfigs(let r) = $0 { r } else { nil } }
    }

    public func alterConfigs(_ specs: [AlterConfigsSpec], validateOnly: Bool) async throws -> [AlterConfigsResult] {
        try await call(.alterConfigs(specs, validateOnly: validateOnly)) { if case .alterConfigs(let r) = $0 { r } else { nil } }
    }
}
