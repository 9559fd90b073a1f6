import KafkaMetadata
import KafkaProtocol

/// AlterPartition (key 56), versions 0-3, on the controller listener (KIP-497): a partition leader's new ISR,
/// committed as a PartitionChangeRecord before the answer; topics by id from v2 (KIP-841), ISR members with broker
/// epochs from v3 (KIP-903). Elsewhere NOT_CONTROLLER. Leaves out: completing partition reassignments (Tributary
/// runs none, so NEW_LEADER_ELECTED never comes back) and eligible leader replicas (KIP-966).
struct AlterPartitionHandler: ApiHandler {
    let apiKey = ApiKey.alterPartition
    let versions: ClosedRange<Int16> = 0...3
    let controller: any ControllerChannel

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        guard let req = request as? AlterPartitionRequest else {
            return .close(reason: "not an AlterPartition request")
        }
        let result = try await controller.alterPartition(req.spec(version: rc.apiVersion))
        return .respond(AlterPartitionResponse(result: result))
    }
}
