import KafkaMetadata
import KafkaProtocol

/// AllocateProducerIds (key 67), version 0, on the controller listener (KIP-730): a block of producer ids for a
/// registered broker of the current epoch, committed as a ProducerIdsRecord before the answer. Elsewhere
/// NOT_CONTROLLER.
struct AllocateProducerIdsHandler: ApiHandler {
    let apiKey = ApiKey.allocateProducerIds
    let versions: ClosedRange<Int16> = 0...0
    let controller: any ControllerChannel

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        guard let req = request as? AllocateProducerIdsRequest else { return .close(reason: "not an AllocateProducerIds request") }
        let block = try await controller.allocateProducerIds(brokerId: req.brokerId, brokerEpoch: req.brokerEpoch)
        return .respond(AllocateProducerIdsResponse(block: block))
    }
}
