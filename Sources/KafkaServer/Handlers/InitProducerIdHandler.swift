import KafkaCoordinator
import KafkaProtocol

/// InitProducerId (key 22), versions 0-5 (v6, unstable upstream, is not served).
///
/// Idempotent producers (no transactional id) get a fresh producer id, epoch 0, from blocks the controller
/// allocates. A transactional id goes to its transaction coordinator shard (epoch bump, fencing, aborting the
/// previous producer's open transaction first).
struct InitProducerIdHandler: ApiHandler {
    let apiKey = ApiKey.initProducerId
    let versions: ClosedRange<Int16> = 0...5
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! InitProducerIdRequest
        var response = InitProducerIdResponse()
        if let id = req.transactionalId {
            if case .initProducerId(let r)? = await coordinateTransaction(context, rc, transactionalId: id, { .initProducerId($0, req) }) {
                return .respond(r)
            }
            response.errorCode = transactionRefusal(context, id)
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
