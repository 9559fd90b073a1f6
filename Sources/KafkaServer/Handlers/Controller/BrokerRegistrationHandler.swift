import KafkaMetadata
import KafkaProtocol

/// BrokerRegistration (key 62), versions 0-3, on the controller listener (KIP-631): a broker registers, fenced,
/// with the active controller, which answers with its epoch (the offset of its RegisterBrokerRecord) once the
/// record is committed. A request for another cluster gets INCONSISTENT_CLUSTER_ID and changes nothing; a node
/// that is not the active controller answers NOT_CONTROLLER. Leaves out: `previousBrokerEpoch` (KIP-966's clean
/// restart check) and ZooKeeper migration.
struct BrokerRegistrationHandler: ApiHandler {
    let apiKey = ApiKey.brokerRegistration
    let versions: ClosedRange<Int16> = 0...3
    let clusterId: String
    let controller: any ControllerChannel

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        guard let req = request as? BrokerRegistrationRequest else { return .close(reason: "not a BrokerRegistration request") }
        guard req.clusterId == clusterId else {
            rc.logger.warning("refused the registration of broker \(req.brokerId): cluster id \(req.clusterId), not \(clusterId)")
            return .respond(BrokerRegistrationResponse(result: BrokerRegistrationResult(error: ApiError(.inconsistentClusterId))))
        }
        let result = try await controller.registerBroker(req.spec, fenced: true)
        return .respond(BrokerRegistrationResponse(result: result))
    }
}
