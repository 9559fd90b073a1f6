import KafkaCoordinator
import KafkaProtocol

// The markers of partitions led by other brokers: WriteTxnMarkers (v1, Kafka 3.7's inter-broker version) to each
// partition's leader, as Kafka's TransactionMarkerChannelManager sends them, retried until every partition is
// written or gone.
extension TransactionShardDriver {
    /// How long the coordinator keeps retrying a marker (Kafka retries until it is written or the coordinator
    /// moves; this bound keeps a partition that never gets a leader from holding the transaction forever).
    static let markerRetryMs: Int64 = 60_000

    /// Writes the marker of `m` to every partition of `partitions`, wherever each is led now: over the network to
    /// a remote leader, locally when leadership moved here. Retries every 100 ms what failed with a retriable error
    /// (no leader, leader moved, connection lost); drops partitions whose topic is gone.
    func sendMarkers(_ m: MarkerRequest, _ partitions: [TxnPartition]) async {
        var pending = partitions
        let deadline = context.clock() + Self.markerRetryMs
        while !pending.isEmpty {
            let image = context.image
            var byLeader: [Int32: [TxnPartition]] = [:]
            var retry: [TxnPartition] = []
            for p in pending {
                guard let partition = image.topic(named: p.topic)?.partitions[p.partition] else { continue }  // gone
                if partition.leader == context.nodeId {
                    switch appendMarker(m, p) {
                    case .written(let commit?):
                        if await context.replicas.awaitAck(commit) != .none { retry.append(p) }
                    case .written(nil), .gone: break
                    case .failed: retry.append(p)
                    }
                } else if partition.leader >= 0 {
                    byLeader[partition.leader, default: []].append(p)
                } else {
                    retry.append(p)
                }
            }
            for (broker, parts) in byLeader.sorted(by: { $0.key < $1.key }) {
                retry += await send(m, parts, to: broker)
            }
            pending = retry
            guard !pending.isEmpty else { return }
            if context.clock() >= deadline {
                context.logger.error("gave up writing the \(m.result) marker of \(m.transactionalId) to \(pending.map(\.description).joined(separator: ", ")) after \(Self.markerRetryMs) ms")
                return
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// One WriteTxnMarkers to `broker`; the partitions to retry.
    private func send(_ m: MarkerRequest, _ partitions: [TxnPartition], to broker: Int32) async -> [TxnPartition] {
        var marker = WriteTxnMarkersRequest.WritableTxnMarker()
        marker.producerId = m.producerId
        marker.producerEpoch = m.producerEpoch
        marker.transactionResult = m.result == .commit
        marker.coordinatorEpoch = m.coordinatorEpoch
        marker.topics = Dictionary(grouping: partitions, by: \.topic).sorted { $0.key < $1.key }.map { topic, parts in
            var t = WriteTxnMarkersRequest.WritableTxnMarkerTopic()
            t.name = topic
            t.partitionIndexes = parts.map(\.partition).sorted()
            return t
        }
        var request = WriteTxnMarkersRequest()
        request.markers = [marker]
        guard let connection = context.interBroker.connection(to: broker, in: context.image),
              let response = try? await connection.send(request, version: 1).body as? WriteTxnMarkersResponse else {
            return partitions
        }
        var retry: [TxnPartition] = []
        for t in response.markers.flatMap(\.topics) {
            for p in t.partitions where p.errorCode != 0 {
                // A topic deleted meanwhile is skipped, as Kafka does; anything else is tried again.
                if p.errorCode != KafkaError.unknownTopicOrPartition.code { retry.append(TxnPartition(t.name, p.partitionIndex)) }
            }
        }
        return retry
    }
}
