import KafkaMetadata
import KafkaProtocol

/// DeleteTopics (key 20), versions 0-6: by name, and by topic id from v6.
///
/// The controller removes the topic from the metadata; the broker then deletes the partitions' logs. Leaves out:
/// the request timeout (commits are synchronous).
struct DeleteTopicsHandler: ApiHandler {
    let apiKey = ApiKey.deleteTopics
    let versions: ClosedRange<Int16> = 0...6
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! DeleteTopicsRequest
        let specs: [DeleteTopicSpec] = rc.apiVersion >= 6
            ? req.topics.map { DeleteTopicSpec(name: $0.name, topicId: $0.topicId) }
            : req.topicNames.map { .named($0) }
        let version = rc.apiVersion
        let results = try await context.controller.deleteTopics(specs, apiVersion: version)
        var response = DeleteTopicsResponse()
        response.responses = results.map { r in
            var d = DeleteTopicsResponse.DeletableTopicResult()
            d.name = r.name
            d.topicId = r.topicId
            d.errorCode = r.error.code
            d.errorMessage = r.error.message
            return d
        }
        return .respond(response)
    }
}
