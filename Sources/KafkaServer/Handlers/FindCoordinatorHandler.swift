import KafkaMetadata
import KafkaProtocol

/// FindCoordinator (key 10), versions 0-6 (batched keys from v4, KIP-699).
///
/// Groups (key type 0) and transactions (key type 1): the broker that leads the key's partition of
/// `__consumer_offsets` / `__transaction_state` (Kafka's `abs(key.hashCode) % partitions`), with its endpoint on
/// the listener the request came in on; the topic is created on first use, as Kafka does. COORDINATOR_NOT_AVAILABLE
/// while the topic is not in this broker's image yet or the partition has no leader (clients retry).
/// Share groups (2): not served.
struct FindCoordinatorHandler: ApiHandler {
    let apiKey = ApiKey.findCoordinator
    let versions: ClosedRange<Int16> = 0...6
    let context: BrokerContext

    /// Where one key's coordinator is, or why it cannot be named.
    struct Answer {
        var error = KafkaError.none
        var message: String?
        var nodeId: Int32 = -1
        var host = ""
        var port: Int32 = -1
    }

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        guard let req = request as? FindCoordinatorRequest else { return .close(reason: "not a FindCoordinator request") }
        let keyType = rc.apiVersion >= 1 ? req.keyType : 0
        var response = FindCoordinatorResponse()
        if rc.apiVersion >= 4 {
            var coordinators: [FindCoordinatorResponse.Coordinator] = []
            for key in req.coordinatorKeys {
                let answer = await coordinator(of: key, keyType: keyType, rc)
                var c = FindCoordinatorResponse.Coordinator()
                c.key = key
                c.errorCode = answer.error.code
                c.errorMessage = answer.message
                c.nodeId = answer.nodeId
                c.host = answer.host
                c.port = answer.port
                coordinators.append(c)
            }
            response.coordinators = coordinators
        } else {
            let answer = await coordinator(of: req.key, keyType: keyType, rc)
            response.errorCode = answer.error.code
            if rc.apiVersion >= 1 { response.errorMessage = answer.message }
            response.nodeId = answer.nodeId
            response.host = answer.host
            response.port = answer.port
        }
        return .respond(response)
    }

    func coordinator(of key: String, keyType: Int8, _ rc: RequestContext) async -> Answer {
        guard keyType == 0 || keyType == 1 else {
            return Answer(error: .invalidRequest, message: "Unknown coordinator type \(keyType)")
        }
        let unavailable = Answer(error: .coordinatorNotAvailable, message: "The coordinator is not available.")
        let topic = keyType == 0 ? GroupCoordinatorService.topic : TransactionCoordinatorService.topic
        let partitions: Int32
        do {
            partitions = keyType == 0 ? try await context.groups.ensureTopic() : try await context.transactions.ensureTopic(context)
        } catch {
            rc.logger.error("cannot create the \(topic) topic: \(error)")
            return unavailable
        }
        let image = context.image
        let index = GroupCoordinatorService.partition(for: key, partitions: partitions)
        guard let leader = image.leader(of: topic, partition: index), leader >= 0,
              let broker = image.brokers[leader], !broker.fenced,
              let endpoint = broker.listeners.first(where: { $0.name == rc.listenerName }) ?? broker.listeners.first
        else { return unavailable }
        return Answer(nodeId: leader, host: endpoint.host, port: Int32(endpoint.port))
    }
}
