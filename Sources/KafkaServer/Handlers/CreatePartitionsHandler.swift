import KafkaMetadata
import KafkaProtocol

/// CreatePartitions (key 37), versions 0-3: adds partitions to topics (with optional explicit assignments),
/// validate-only supported; the broker then opens the new partitions' logs. Leaves out: the request timeout.
struct CreatePartitionsHandler: ApiHandler {
    let apiKey = ApiKey.createPartitions
    let versions: ClosedRange<Int16> = 0...3
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! CreatePartitionsRequest
        let specs = req.topics.map { CreatePartitionsSpec(name: $0.name, count: $0.count, assignments: $0.assignments?.map(\.brokerIds)) }
        let validateOnly = req.validateOnly
        let results = try await context.controller.createPartitions(specs, validateOnly: validateOnly)
        var response = CreatePartitionsResponse()
        response.results = results.map { r in
            var out = CreatePartitionsResponse.CreatePartitionsTopicResult()
            out.name = r.name
            out.errorCode = r.error.code
            out.errorMessage = r.error.message
            return out
        }
        return .respond(response)
    }
}
