import KafkaMetadata
import KafkaProtocol

/// CreateTopics (key 19), versions 0-7.
///
/// Runs the controller's CreateTopics (validation, placement, configs) and commits its records before answering;
/// validate-only requests commit nothing. v5+ answers with the topic's configs, partitions and replication factor.
/// The same handler serves a broker's listener (through its channel to the active controller) and a controller's
/// (a broker's forwarded request, run on the local controller). Leaves out: the request timeout (commits are
/// synchronous), create-topic policies.
struct CreateTopicsHandler: ApiHandler {
    let apiKey = ApiKey.createTopics
    let versions: ClosedRange<Int16> = 0...7
    /// The broker's channel to the active controller, or on a controller's listener its own controller.
    let controller: any ControllerChannel

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        guard let req = request as? CreateTopicsRequest else { return .close(reason: "not a CreateTopics request") }
        let results = try await controller.createTopics(req.specs, validateOnly: req.validateOnly)
        return .respond(CreateTopicsResponse(results: results))
    }
}
