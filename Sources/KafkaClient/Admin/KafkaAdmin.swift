import KafkaProtocol

/// Kafka's admin client, for topics and their configs. Create and delete go to the controller Metadata names;
/// describe and list ask any broker. Per-topic failures are `KafkaClientError.broker` with the topic named.
public struct KafkaAdmin: Sendable {
    public let cluster: KafkaCluster

    public init(cluster: KafkaCluster) { self.cluster = cluster }

    /// An admin client with its own connections.
    public init(config: KafkaClientConfig) { cluster = KafkaCluster(config: config) }

    /// Closes the connections.
    public func close() async { await cluster.close() }

    /// Creates the topics; the result per topic is its description or the error the controller gave.
    /// Retries the whole request on retriable errors (NOT_CONTROLLER after a controller move).
    public func createTopics(_ topics: [NewTopic], validateOnly: Bool = false) async throws -> [String: Result<CreatedTopic, KafkaClientError>] {
        let timeout = Int32(clamping: cluster.config.requestTimeoutMs)
        return try await cluster.withRetries("CreateTopics") {
            let link = try await cluster.controllerLink()
            let (r, _) = try await link.send(.createTopics, as: CreateTopicsResponse.self) { _ in
                var req = CreateTopicsRequest()
                req.timeoutMs = timeout
                req.validateOnly = validateOnly
                req.topics = topics.map { t in
                    var c = CreateTopicsRequest.CreatableTopic()
                    c.name = t.name
                    c.numPartitions = t.numPartitions
                    c.replicationFactor = t.replicationFactor
                    c.configs = t.configs.sorted { $0.key < $1.key }.map {
                        var e = CreateTopicsRequest.CreatableTopicConfig()
                        e.name = $0.key
                        e.value = $0.value
                        return e
                    }
                    return c
                }
                return req
            }
            var out: [String: Result<CreatedTopic, KafkaClientError>] = [:]
            for t in r.topics {
                let code = KafkaError(rawValue: t.errorCode) ?? .unknownServerError
                if code == .none {
                    out[t.name] = .success(CreatedTopic(name: t.name, topicId: t.topicId, numPartitions: t.numPartitions,
                                                        replicationFactor: t.replicationFactor))
                } else {
                    let e = KafkaClientError.broker(code, message: t.errorMessage, broker: link.nodeId, context: "topic \(t.name)")
                    if code == .notController { throw e }
                    out[t.name] = .failure(e)
                }
            }
            return out
        }
    }

    /// Deletes the topics by name; the result per topic is success or the controller's error.
    public func deleteTopics(_ names: [String]) async throws -> [String: Result<Void, KafkaClientError>] {
        let timeout = Int32(clamping: cluster.config.requestTimeoutMs)
        let answers = try await cluster.withRetries("DeleteTopics") { () -> [String: KafkaClientError?] in
            let link = try await cluster.controllerLink()
            let (r, _) = try await link.send(.deleteTopics, as: DeleteTopicsResponse.self) { version in
                var req = DeleteTopicsRequest()
                req.timeoutMs = timeout
                if version >= 6 {
                    req.topics = names.map { var s = DeleteTopicsRequest.DeleteTopicState(); s.name = $0; return s }
                } else {
                    req.topicNames = names
                }
                return req
            }
            var out: [String: KafkaClientError?] = [:]
            for t in r.responses {
                let name = t.name ?? "\(t.topicId)"
                let code = KafkaError(rawValue: t.errorCode) ?? .unknownServerError
                if code == .none { out[name] = .some(nil); continue }
                let e = KafkaClientError.broker(code, message: t.errorMessage, broker: link.nodeId, context: "topic \(name)")
                if code == .notController { throw e }
                out[name] = e
            }
            return out
        }
        await cluster.invalidateMetadata()
        return answers.mapValues { e in e.map { .failure($0) } ?? .success(()) }
    }

    /// Every topic name the cluster has, internal topics included when `includeInternal`.
    public func listTopics(includeInternal: Bool = true) async throws -> [TopicListing] {
        let m = try await cluster.withRetries("Metadata") { try await cluster.metadata(topics: nil, refresh: true) }
        return m.topics.values
            .filter { includeInternal || !($0.isInternal || InternalTopics.names.contains($0.name)) }
            .map { TopicListing(name: $0.name, topicId: $0.topicId, isInternal: $0.isInternal) }
            .sorted { $0.name < $1.name }
    }

    /// The partitions (leader, replicas, ISR) of each topic; a topic that does not exist fails with
    /// UNKNOWN_TOPIC_OR_PARTITION.
    public func describeTopics(_ names: [String]) async throws -> [TopicInfo] {
        let m = try await cluster.withRetries("Metadata") { try await cluster.metadata(topics: names, refresh: true) }
        return try names.map { name in
            guard let t = m.topics[name] else {
                throw KafkaClientError.broker(.unknownTopicOrPartition, message: nil, broker: nil, context: "topic \(name)")
            }
            guard t.error == .none else {
                throw KafkaClientError.broker(t.error, message: nil, broker: nil, context: "topic \(name)")
            }
            return t
        }
    }

    /// The brokers Metadata lists, by id.
    public func describeCluster() async throws -> ClusterMetadata {
        try await cluster.withRetries("Metadata") { try await cluster.metadata(topics: [], refresh: true) }
    }
}
