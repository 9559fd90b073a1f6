import KafkaProtocol

/// FindCoordinator (key 10), versions 0-6 (batched keys from v4, KIP-699).
///
/// Groups (key type 0) and transactions (key type 1): this node, which leads every `__consumer_offsets` and
/// `__transaction_state` partition; the topic is created on first use, as Kafka does. Share groups (2): not served.
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
        if keyType != 0 && keyType != 1 {
            error = .invalidRequest
            message = "Unknown coordinator type \(keyType)"
        } else if endpoint == nil {
            error = .coordinatorNotAvailable
        } else {
            do {
                if keyType == 0 { _ = try await context.groups.ensureTopic() } else { _ = try await context.transactions.ensureTopic(context) }
            } catch let creation {
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
