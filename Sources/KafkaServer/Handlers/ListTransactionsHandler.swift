import KafkaCoordinator
import KafkaProtocol

/// ListTransactions (key 66), versions 0-2 (state and producer id filters; duration filter v1, id pattern v2):
/// every shard's transactions, merged.
struct ListTransactionsHandler: ApiHandler {
    let apiKey = ApiKey.listTransactions
    let versions: ClosedRange<Int16> = 0...2
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! ListTransactionsRequest
        var response = ListTransactionsResponse()
        do {
            for shard in try await context.transactions.allShards(context) {
                let reply = await shard.request(apiVersion: rc.apiVersion, clientId: rc.clientId ?? "", clientHost: rc.clientAddress) { .listTransactions($0, req) }
                if case .listTransactions(let r)? = reply {
                    response.transactionStates.append(contentsOf: r.transactionStates)
                    for s in r.unknownStateFilters where !response.unknownStateFilters.contains(s) { response.unknownStateFilters.append(s) }
                }
            }
        } catch {
            response.errorCode = KafkaError.coordinatorNotAvailable.code
        }
        return .respond(response)
    }
}
