import KafkaProtocol

/// FindCoordinator (key 10), versions 0-6 (batched keys from v4).
///
/// The group and transaction coordinators are not there yet, so every key is answered COORDINATOR_NOT_AVAILABLE,
/// as Kafka answers while `__consumer_offsets` / `__transaction_state` are not loaded; clients retry.
struct FindCoordinatorHandler: ApiHandler {
    let apiKey = ApiKey.findCoordinator
    let versions: ClosedRange<Int16> = 0...6
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! FindCoordinatorRequest
        var response = FindCoordinatorResponse()
        let error = KafkaError.coordinatorNotAvailable
        if rc.apiVersion >= 4 {
            response.coordinators = req.coordinatorKeys.map { key in
                var c = FindCoordinatorResponse.Coordinator()
                c.key = key
                c.nodeId = -1
                c.port = -1
                c.errorCode = error.code
                c.errorMessage = "The coordinator is not available."
                return c
            }
        } else {
            response.errorCode = error.code
            response.errorMessage = "The coordinator is not available."
            response.nodeId = -1
            response.port = -1
        }
        return .respond(response)
    }
}
