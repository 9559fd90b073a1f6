import KafkaCoordinator
import KafkaProtocol

/// DescribeTransactions (key 65), version 0: each transactional id described by its coordinator shard.
struct DescribeTransactionsHandler: ApiHandler {
    let apiKey = ApiKey.describeTransactions
    let versions: ClosedRange<Int16> = 0...0
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! DescribeTransactionsRequest
        var response = DescribeTransactionsResponse()
        for id in req.transactionalIds {
            var single = req
            single.transactionalIds = [id]
            if case .describeTransactions(let r)? = await coordinateTransaction(context, rc, transactionalId: id, { [single] in .describeTransactions($0, single) }) {
                response.transactionStates.append(contentsOf: r.transactionStates)
            } else {
                var st = DescribeTransactionsResponse.TransactionState()
                st.transactionalId = id
                st.errorCode = transactionRefusal(context, id)
                response.transactionStates.append(st)
            }
        }
        return .respond(response)
    }
}
