import KafkaCoordinator
import KafkaProtocol

/// AddOffsetsToTxn (key 25), versions 0-4: adds the group's `__consumer_offsets` partition to the transaction.
/// The transactional offset commit that follows is TxnOffsetCommitHandler.
struct AddOffsetsToTxnHandler: ApiHandler {
    let apiKey = ApiKey.addOffsetsToTxn
    let versions: ClosedRange<Int16> = 0...4
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! AddOffsetsToTxnRequest
        _ = try? await context.groups.ensureTopic()
        if case .addOffsetsToTxn(let r)? = await coordinateTransaction(context, rc, transactionalId: req.transactionalId, { .addOffsetsToTxn($0, req) }) {
            return .respond(r)
        }
        var r = AddOffsetsToTxnResponse()
        r.errorCode = transactionRefusal(context, req.transactionalId)
        return .respond(r)
    }
}
