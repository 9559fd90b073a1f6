import KafkaCoordinator
import KafkaProtocol

/// TxnOffsetCommit (key 28), versions 0-5: offsets committed inside a transaction (`send_offsets_to_transaction`),
/// written to `__consumer_offsets` as a transactional batch of the producer and made visible by the transaction's
/// COMMIT marker. As Kafka's KafkaApis, topics that do not exist are answered UNKNOWN_TOPIC_OR_PARTITION without
/// reaching the coordinator.
struct TxnOffsetCommitHandler: ApiHandler {
    let apiKey = ApiKey.txnOffsetCommit
    let versions: ClosedRange<Int16> = 0...5
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        var req = request as! TxnOffsetCommitRequest
        let image = context.image
        let unknown = req.topics.filter { image.topic(named: $0.name) == nil }.map { answer($0, KafkaError.unknownTopicOrPartition.code) }
        req.topics = req.topics.filter { image.topic(named: $0.name) != nil }
        var r = TxnOffsetCommitResponse()
        if req.topics.isEmpty {
            r.topics = unknown
            return .respond(r)
        }
        let forwarded = req
        if case .txnOffsetCommit(let answered)? = await coordinate(context, rc, groupId: req.groupId, { .txnOffsetCommit($0, forwarded) }) {
            r = answered
            r.topics = unknown + r.topics
            return .respond(r)
        }
        r.topics = unknown + req.topics.map { answer($0, groupRefusal(context, req.groupId)) }
        return .respond(r)
    }

    private func answer(_ t: TxnOffsetCommitRequest.TxnOffsetCommitRequestTopic, _ code: Int16) -> TxnOffsetCommitResponse.TxnOffsetCommitResponseTopic {
        var tr = TxnOffsetCommitResponse.TxnOffsetCommitResponseTopic()
        tr.name = t.name
        tr.partitions = t.partitions.map { p in
            var pr = TxnOffsetCommitResponse.TxnOffsetCommitResponsePartition()
            pr.partitionIndex = p.partitionIndex
            pr.errorCode = code
            return pr
        }
        return tr
    }
}
