import KafkaMetadata
import KafkaProtocol

/// ElectLeaders (key 43), versions 0-2: preferred (type 0, the only one in v0, KIP-183) and unclean (type 1,
/// KIP-460) leader elections, run by the active controller as Kafka's KRaft brokers forward them
/// (`QuorumController.electLeaders`); on the controller listener the same handler runs this node's controller.
/// Each named partition gets ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE, ELIGIBLE_LEADERS_NOT_AVAILABLE,
/// UNKNOWN_TOPIC_OR_PARTITION or success; a null partition list means every partition and is answered with each
/// topic's partitions that needed an election. An unknown election type is INVALID_REQUEST, top level and per
/// partition; NOT_CONTROLLER and REQUEST_TIMED_OUT come back the same way. Version 0 has no top-level error code,
/// so it is dropped there (the partitions carry it). Leaves out: the request timeout (commits are synchronous) and
/// cluster authorization.
struct ElectLeadersHandler: ApiHandler {
    let apiKey = ApiKey.electLeaders
    let versions: ClosedRange<Int16> = 0...2
    /// The channel to the active controller (a controller's listener: its own controller).
    let controller: any ControllerChannel

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        guard let req = request as? ElectLeadersRequest else { return .close(reason: "not an ElectLeaders request") }
        let result = try await controller.electLeaders(req.spec)
        return .respond(ElectLeadersResponse(result: result, version: rc.apiVersion))
    }
}
