import KafkaProtocol

/// InitProducerId (key 22), versions 0-5 (v6, unstable upstream, is not served).
///
/// Idempotent producers (no transactional id) get a fresh producer id, epoch 0, from blocks the controller
/// allocates. A transactional id needs the transaction coordinator, which is not there yet: answered
/// COORDINATOR_NOT_AVAILABLE, as Kafka answers while its coordinator is unavailable.
struct InitProducerIdHandler: ApiHandler {
    let apiKey = ApiKey.initProducerId
    let versions: ClosedRange<Int16> = 0...5
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! InitProducerIdRequest
        var response = InitProducerIdResponse()
        if req.transactionalId != nil {
            response.errorCode = KafkaError.coordinatorNotAvailable.code
            return .respond(response)
        }
        do {
            response.producerId = try await context.producerIds.next(context)
            response.producerEpoch = 0
        } catch {
            rc.logger.error("producer id allocation failed: \(error)")
            response.errorCode = KafkaError.unknownServerError.code
        }
        return .respond(response)
    }
}
