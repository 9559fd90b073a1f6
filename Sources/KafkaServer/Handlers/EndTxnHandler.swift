import KafkaCoordinator
import KafkaProtocol

/// EndTxn (key 26), versions 0-5: commit or abort. Answered once the PREPARE record is committed; the markers are
/// then written to every partition of the transaction and the transaction completed. KIP-890 part 2 (the epoch
/// bump of transaction.version 2) is not done: v5 answers with the unchanged producer id and epoch.
struct EndTxnHandler: ApiHandler {
    let apiKey = ApiKey.endTxn
    let versions: ClosedRange<Int16> = 0...5
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! EndTxnRequest
        if case .endTxn(let r)? = await coordinateTransaction(context, rc, transactionalId: req.transactionalId, { .endTxn($0, req) }) {
            return .respond(r)
        }
        var r = EndTxnResponse()
        r.errorCode = transactionRefusal(context, req.transactionalId)
        return .respond(r)
    }
}
