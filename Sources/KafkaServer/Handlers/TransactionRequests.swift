import KafkaCoordinator
import KafkaProtocol

/// Sends a transaction request to the shard that coordinates `transactionalId` and waits for its reply; nil when the
/// coordinator could not serve it (handlers then answer `transactionRefusal`).
func coordinateTransaction(
    _ context: BrokerContext, _ rc: RequestContext, transactionalId: String,
    _ make: @escaping @Sendable (KafkaCoordinator.RequestContext) -> TxnEvent
) async -> TxnResponse? {
    do {
        let shard = try await context.transactions.shard(for: transactionalId, context)
        return await shard.request(apiVersion: rc.apiVersion, clientId: rc.clientId ?? "", clientHost: rc.clientAddress, make)
    } catch KafkaError.notCoordinator {
        // Led by another broker: the client finds the coordinator again (see coordinate(_:) of groups).
        rc.logger.debug("transactional id \(transactionalId) is coordinated by another broker")
        return nil
    } catch {
        rc.logger.error("transaction coordinator unavailable: \(error)")
        return nil
    }
}
