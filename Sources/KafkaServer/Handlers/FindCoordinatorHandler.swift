import KafkaProtocol

/// FindCoordinator (key 10), versions 0-6 (batched keys from v4, KIP-699).
///
/// Groups (key type 0): this node, which leads every `__consumer_offsets` partition; the topic is created on first
/// use, as Kafka does. Transactions (key type 1): the transaction coordinator is not there yet, so
/// COORDINATOR_NOT_AVAILABLE, as Kafka answers while it is unavailable; clients retry.
struct FindCoordinatorHandler: ApiHandler {
    let apiKey = ApiKey.findCoordinator
    let versions: ClosedRange<Int16> = 0...6
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! FindCoordinatorRequest
        let keyType = rc.apiVersion >= 1 ? req.keyType : 0
        let endpoint = context.image.brokers[context.nodeId].flatMap { b in
            b.listeners.first { $0.name == rc.listenerName } ?? b.listeners.first
        }
        var error = KafkaError.none
        var message: String? = nil
        if keyType != 0 {
            error = keyType == 1 ? .coordinatorNotAvailable : .invalidRequest
            message = keyType == 1 ? "The coordinator is not available." : "Unknown coordinator type \(keyType)"
        } else if endpoint == nil {
            error = .coordinatorNotAvailable
        } else {
            do { _ = try await context.groups.ensureTopic() } catch let creation {
                rc.logger.error("cannot create the offsets topic: \(creation)")
                error = .coordinatorNotAvailable
                message = "The coordinator is not available."
            }
        }
        var response = FindCoordinatorResponse()
        if rc.apiVersion >= 4 {
            response.coordinators = req.coordinatorKeys.map { key in
                var c = FindCoordinatorResponse.Coordinator()
                c.key = key
                c.errorCode = error.code
                c.errorMessage = message
                c.nodeId = error == .none ? context.nodeId : -1
                c.host = error == .none ? endpoint!.host : ""
                c.port = error == .none ? Int32(endpoint!.port) : -1
                return c
            }
        } else {
            response.errorCode = error.code
            if rc.apiVersion >= 1 { response.errorMessage = message }
            response.nodeId = error == .none ? context.nodeId : -1
            response.host = error == .none ? endpoint!.host : ""
            response.port = error == .none ? Int32(endpoint!.port) : -1
        }
        return .respond(response)
    }
}
