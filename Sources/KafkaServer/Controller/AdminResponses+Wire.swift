import KafkaMetadata
import KafkaProtocol

// The controller's admin results both ways: to the response a broker sends its client (and a controller sends a
// forwarding broker), and from a forwarded response back to results.

extension ApiError {
    /// The error of a response field pair; an unknown code keeps its meaning as UNKNOWN_SERVER_ERROR.
    init(code: Int16, message: String?) {
        self.init(KafkaError(rawValue: code) ?? .unknownServerError, message)
    }
}

extension CreateTopicsResponse {
    init(results: [CreateTopicResult]) {
        self.init()
        topics = results.map { r in
            var t = CreatableTopicResult()
            t.name = r.name
            t.errorCode = r.error.code
            t.errorMessage = r.error.message
            if r.error.isSuccess {
                t.topicId = r.topicId
                t.numPartitions = r.numPartitions
                t.replicationFactor = r.replicationFactor
                t.configs = r.configs.map { c in
                    var tc = CreatableTopicConfigs()
                    tc.name = c.name
                    tc.value = c.value
                    tc.readOnly = c.readOnly
                    tc.configSource = c.source.rawValue
                    tc.isSensitive = c.isSensitive
                    return tc
                }
            } else {
                t.numPartitions = -1
                t.replicationFactor = -1
            }
            return t
        }
    }

    var results: [CreateTopicResult] {
        topics.map { t in
            CreateTopicResult(
                name: t.name, topicId: t.topicId, error: ApiError(code: t.errorCode, message: t.errorMessage),
                numPartitions: t.numPartitions, replicationFactor: t.replicationFactor,
                configs: (t.configs ?? []).map {
                    .init(name: $0.name, value: $0.value, readOnly: $0.readOnly,
                          source: .init(rawValue: $0.configSource) ?? .unknown, isSensitive: $0.isSensitive)
                })
        }
    }
}

extension CreatePartitionsResponse {
    init(results: [CreatePartitionsResult]) {
        self.init()
        self.results = results.map { r in
            var out = CreatePartitionsTopicResult()
            out.name = r.name
            out.errorCode = r.error.code
            out.errorMessage = r.error.message
            return out
        }
    }

    var topicResults: [CreatePartitionsResult] {
        results.map { CreatePartitionsResult(name: $0.name, error: ApiError(code: $0.errorCode, message: $0.errorMessage)) }
    }
}

extension DeleteTopicsResponse {
    init(results: [DeleteTopicResult]) {
        self.init()
        responses = results.map { r in
            var d = DeletableTopicResult()
            d.name = r.name
            d.topicId = r.topicId
            d.errorCode = r.error.code
            d.errorMessage = r.error.message
            return d
        }
    }

    var results: [DeleteTopicResult] {
        responses.map { DeleteTopicResult(name: $0.name, topicId: $0.topicId, error: ApiError(code: $0.errorCode, message: $0.errorMessage)) }
    }
}

extension IncrementalAlterConfigsResponse {
    /// One entry per resource the controller was given, in order.
    var results: [AlterConfigsResult] {
        responses.map {
            AlterConfigsResult(resource: ConfigResource(type: .init(rawValue: $0.resourceType) ?? .unknown, name: $0.resourceName),
                               error: ApiError(code: $0.errorCode, message: $0.errorMessage))
        }
    }
}

extension AlterConfigsResponse {
    var results: [AlterConfigsResult] {
        responses.map {
            AlterConfigsResult(resource: ConfigResource(type: .init(rawValue: $0.resourceType) ?? .unknown, name: $0.resourceName),
                               error: ApiError(code: $0.errorCode, message: $0.errorMessage))
        }
    }
}
