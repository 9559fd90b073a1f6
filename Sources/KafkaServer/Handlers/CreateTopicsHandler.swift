import KafkaMetadata
import KafkaProtocol

/// CreateTopics (key 19), versions 0-7.
///
/// Runs the controller's CreateTopics (validation, placement, configs) and commits its records before answering;
/// validate-only requests commit nothing. v5+ answers with the topic's configs, partitions and replication factor.
/// Leaves out: the request timeout (commits are synchronous), create-topic policies.
struct CreateTopicsHandler: ApiHandler {
    let apiKey = ApiKey.createTopics
    let versions: ClosedRange<Int16> = 0...7
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! CreateTopicsRequest
        let specs = req.topics.map { t in
            CreateTopicSpec(
                name: t.name, numPartitions: t.numPartitions, replicationFactor: t.replicationFactor,
                assignments: t.assignments.map { .init(partitionIndex: $0.partitionIndex, brokerIds: $0.brokerIds) },
                configs: t.configs.map { .init(name: $0.name, value: $0.value) })
        }
        let validateOnly = req.validateOnly
        let results = try await context.controller.createTopics(specs, validateOnly: validateOnly)
        var response = CreateTopicsResponse()
        response.topics = results.map { r in
            var t = CreateTopicsResponse.CreatableTopicResult()
            t.name = r.name
            t.errorCode = r.error.code
            t.errorMessage = r.error.message
            if r.error.isSuccess {
                t.topicId = r.topicId
                t.numPartitions = r.numPartitions
                t.replicationFactor = r.replicationFactor
                t.configs = r.configs.map { c in
                    var tc = CreateTopicsResponse.CreatableTopicConfigs()
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
        return .respond(response)
    }
}
