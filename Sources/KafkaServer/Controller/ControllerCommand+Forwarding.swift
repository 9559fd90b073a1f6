import class KafkaClient.KafkaClientConnection
import enum KafkaClient.KafkaClientConnectionError
import KafkaMetadata
import KafkaProtocol

/// The RPC each controller command travels as, at the version Kafka 3.7's broker sends (the admin requests go
/// directly, not inside an Envelope: a Tributary broker has no principal to carry yet; see docs/controller.md).
extension ControllerCommand {
    /// Sends the command on `connection` (to a controller's listener) and returns the controller's reply.
    func send(over connection: KafkaClientConnection, clusterId: String) async throws -> ControllerReply {
        switch self {
        case .registerBroker(let spec, _):
            // Kafka registers every broker fenced; a remote registration has no way to ask otherwise.
            let r: BrokerRegistrationResponse = try await exchange(BrokerRegistrationRequest(spec: spec, clusterId: clusterId), 3, connection)
            return .brokerRegistration(r.result)
        case .brokerHeartbeat(let spec):
            let r: BrokerHeartbeatResponse = try await exchange(BrokerHeartbeatRequest(spec: spec), 1, connection)
            return .brokerHeartbeat(r.result)
        case .allocateProducerIds(let brokerId, let brokerEpoch):
            var request = AllocateProducerIdsRequest()
            request.brokerId = brokerId
            request.brokerEpoch = brokerEpoch
            let r: AllocateProducerIdsResponse = try await exchange(request, 0, connection)
            return .producerIds(r.block)
        case .alterPartition(let spec):
            // The spec's version goes on: it decides how topics and the ISR are named, and some refusal codes.
            var spec = spec
            spec.apiVersion = min(max(spec.apiVersion, 0), 3)
            let r: AlterPartitionResponse = try await exchange(AlterPartitionRequest(spec: spec), spec.apiVersion, connection)
            return .alterPartition(r.result(version: spec.apiVersion))
        case .createTopics(let specs, let validateOnly):
            let r: CreateTopicsResponse = try await exchange(CreateTopicsRequest(specs: specs, validateOnly: validateOnly), 7, connection)
            return .createTopics(r.results)
        case .createPartitions(let specs, let validateOnly):
            let r: CreatePartitionsResponse = try await exchange(CreatePartitionsRequest(specs: specs, validateOnly: validateOnly), 3, connection)
            return .createPartitions(r.topicResults)
        case .deleteTopics(let specs, let apiVersion):
            // The client's version goes on: the controller's answers depend on it (delete.topic.enable=false).
            let version = min(max(apiVersion, 0), 6)
            let r: DeleteTopicsResponse = try await exchange(DeleteTopicsRequest(specs: specs, version: version), version, connection)
            return .deleteTopics(r.results)
        case .electLeaders(let spec):
            // Version 2, Kafka 3.7's newest: the election type needs 1+, and the answer does not depend on it.
            let r: ElectLeadersResponse = try await exchange(ElectLeadersRequest(spec: spec), 2, connection)
            return .electLeaders(r.result)
        case .incrementalAlterConfigs(let specs, let validateOnly):
            let r: IncrementalAlterConfigsResponse = try await exchange(IncrementalAlterConfigsRequest(specs: specs, validateOnly: validateOnly), 1, connection)
            return .alterConfigs(r.results)
        case .alterConfigs(let specs, let validateOnly):
            let r: AlterConfigsResponse = try await exchange(AlterConfigsRequest(specs: specs, validateOnly: validateOnly), 2, connection)
            return .alterConfigs(r.results)
        }
    }

    private func exchange<Request: KafkaRequest, Response: KafkaResponse>(
        _ request: Request, _ version: Int16, _ connection: KafkaClientConnection
    ) async throws -> Response {
        let frame = try await connection.send(request, version: version)
        guard let response = frame.body as? Response else {
            throw KafkaClientConnectionError.badResponse("\(name) answered with \(type(of: frame.body))")
        }
        return response
    }
}

extension ControllerReply {
    /// Whether the reply refuses the whole command because the node asked is not the active controller (every item
    /// NOT_CONTROLLER): the forwarding channel then asks the next one. An empty list is an answer.
    var isNotController: Bool {
        let codes: [KafkaError]
        switch self {
        case .brokerRegistration(let r): codes = [r.error.error]
        case .brokerHeartbeat(let r): codes = [r.error.error]
        case .producerIds(let r): codes = [r.error.error]
        case .alterPartition(let r): codes = [r.error.error]
        case .createTopics(let rs): codes = rs.map(\.error.error)
        case .createPartitions(let rs): codes = rs.map(\.error.error)
        case .deleteTopics(let rs): codes = rs.map(\.error.error)
        case .electLeaders(let r): codes = [r.error.error]
        case .alterConfigs(let rs): codes = rs.map(\.error.error)
        }
        return !codes.isEmpty && codes.allSatisfy { $0 == .notController }
    }
}
