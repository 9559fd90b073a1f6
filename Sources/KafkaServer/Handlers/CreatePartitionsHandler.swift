import KafkaMetadata
import KafkaProtocol

/// CreatePartitions (key 37), versions 0-3: adds partitions to topics (with optional explicit assignments),
/// validate-only supported; the broker then opens the new partitions' logs. Leaves out: the request timeout.
struct CreatePartitionsHandler: ApiHandler {
    let apiKey = ApiKey.createPartitions
    let versions: ClosedRange<Int16> = 0...3
    /// The channel to the active controller (a controller's listener: its own controller).
    let controller: any ControllerChannel

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        guard let req = request as? CreatePartitionsRequest else { return .close(reason: "not a CreatePartitions request") }
        let results = try await controller.createPartitions(req.specs, validateOnly: req.validateOnly)
        return .respond(CreatePartitionsResponse(results: results))
    }
}
