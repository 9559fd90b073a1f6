import KafkaMetadata
import KafkaProtocol

/// DeleteTopics (key 20), versions 0-6: by name, and by topic id from v6.
///
/// The controller removes the topic from the metadata; the broker then deletes the partitions' logs. Leaves out:
/// the request timeout (commits are synchronous).
struct DeleteTopicsHandler: ApiHandler {
    let apiKey = ApiKey.deleteTopics
    let versions: ClosedRange<Int16> = 0...6
    /// The channel to the active controller (a controller's listener: its own controller).
    let controller: any ControllerChannel

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        guard let req = request as? DeleteTopicsRequest else { return .close(reason: "not a DeleteTopics request") }
        let results = try await controller.deleteTopics(req.specs(version: rc.apiVersion), apiVersion: rc.apiVersion)
        return .respond(DeleteTopicsResponse(results: results))
    }
}
