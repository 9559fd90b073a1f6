import KafkaMetadata
import KafkaProtocol

/// BrokerHeartbeat (key 63), versions 0-1, on the controller listener (KIP-631): keeps a broker's session alive,
/// unfences it once it has caught up with the metadata log, fences it on request, and runs its controlled shutdown
/// (`wantShutDown`). Answered by the active controller; elsewhere NOT_CONTROLLER. Leaves out: offline and cordoned
/// log directories (JBOD).
struct BrokerHeartbeatHandler: ApiHandler {
    let apiKey = ApiKey.brokerHeartbeat
    let versions: ClosedRange<Int16> = 0...1
    let controller: any ControllerChannel

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        guard let req = request as? BrokerHeartbeatRequest else { return .close(reason: "not a BrokerHeartbeat request") }
        return .respond(BrokerHeartbeatResponse(result: try await controller.brokerHeartbeat(req.spec)))
    }
}
