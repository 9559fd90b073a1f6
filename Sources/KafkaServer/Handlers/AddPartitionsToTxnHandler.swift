import KafkaCoordinator
import KafkaProtocol

/// AddPartitionsToTxn (key 24), versions 0-5: v0-3 from producers (one transaction); v4+ the batched form brokers
/// use to verify (KIP-890), each transaction sent to its shard and the results merged. Unknown topics answer
/// UNKNOWN_TOPIC_OR_PARTITION without reaching the coordinator, as Kafka filters them first.
struct AddPartitionsToTxnHandler: ApiHandler {
    let apiKey = ApiKey.addPartitionsToTxn
    let versions: ClosedRange<Int16> = 0...5
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! AddPartitionsToTxnRequest
        if rc.apiVersion <= 3 {
            if case .addPartitionsToTxn(let r)? = await coordinateTransaction(context, rc, transactionalId: req.v3AndBelowTransactionalId, { .addPartitionsToTxn($0, req) }) {
                return .respond(r)
            }
            let refusal = transactionRefusal(context, req.v3AndBelowTransactionalId)
            var r = AddPartitionsToTxnResponse()
            r.resultsByTopicV3AndBelow = req.v3AndBelowTopics.map { t in
                var tr = AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult()
                tr.name = t.name
                tr.resultsByPartition = t.partitions.map {
                    var p = AddPartitionsToTxnResponse.AddPartitionsToTxnPartitionResult()
                    p.partitionIndex = $0
                    p.partitionErrorCode = refusal
                    return p
                }
                return tr
            }
            return .respond(r)
        }
        var response = AddPartitionsToTxnResponse()
        for txn in req.transactions {
            var single = req
            single.transactions = [txn]
            if case .addPartitionsToTxn(let r)? = await coordinateTransaction(context, rc, transactionalId: txn.transactionalId, { [single] in .addPartitionsToTxn($0, single) }) {
                response.resultsByTransaction.append(contentsOf: r.resultsByTransaction)
                if r.errorCode != 0 { response.errorCode = r.errorCode }
            } else {
                response.errorCode = transactionRefusal(context, txn.transactionalId)
            }
        }
        return .respond(response)
    }
}
