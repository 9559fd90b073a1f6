import KafkaProtocol
import NIOCore

/// Kafka's consumer for assigned partitions (no consumer group yet): each partition starts at an `OffsetSpec`
/// (ListOffsets resolves earliest and latest), and `poll` sends one Fetch per leader and returns the records of
/// every codec, skipping control batches. A leader move (NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH) refreshes
/// metadata; OFFSET_OUT_OF_RANGE resets the partition to `auto.offset.reset`.
public actor KafkaConsumer {
    public nonisolated let config: ConsumerConfig
    public nonisolated let cluster: KafkaCluster

    /// Assigned partitions and their next offsets (nil until ListOffsets resolved the start).
    private var positions: [TopicPartition: Int64] = [:]
    private var pendingStart: [TopicPartition: OffsetSpec] = [:]
    /// Assignment order, so fetches and results list partitions in a stable order.
    private var order: [TopicPartition] = []

    /// A consumer with its own connections.
    public init(config: ConsumerConfig) {
        self.config = config
        cluster = KafkaCluster(config: config.client)
    }

    /// Adds partitions to the assignment, each starting at its `OffsetSpec`.
    public func assign(_ partitions: [(TopicPartition, OffsetSpec)]) {
        for (tp, spec) in partitions {
            if positions[tp] == nil, pendingStart[tp] == nil { order.append(tp) }
            positions[tp] = nil
            if case .offset(let o) = spec, o >= 0 { positions[tp] = o } else { pendingStart[tp] = spec }
        }
    }

    /// Assigns every partition of `topic`; throws UNKNOWN_TOPIC_OR_PARTITION when the topic does not exist.
    @discardableResult
    public func assign(topic: String, from spec: OffsetSpec) async throws -> [TopicPartition] {
        let info = try await cluster.withRetries("metadata for topic \(topic)") { [cluster] () -> TopicInfo in
            let m = try await cluster.metadata(topics: [topic], refresh: true)
            guard let t = m.topics[topic], t.error == .none else {
                let code = m.topics[topic]?.error ?? .unknownTopicOrPartition
                // A topic that does not exist is not worth waiting for.
                if code == .unknownTopicOrPartition { throw KafkaClientError.invalidConfig("topic \(topic): \(code.name)") }
                throw KafkaClientError.broker(code, message: nil, broker: nil, context: "topic \(topic)")
            }
            return t
        }
        let tps = info.partitions.map { TopicPartition(topic: topic, partition: $0.partition) }
        assign(tps.map { ($0, spec) })
        return tps
    }

    /// The next offset of an assigned partition, once known.
    public func position(_ tp: TopicPartition) -> Int64? { positions[tp] }

    /// Moves an assigned partition to `spec`.
    public func seek(_ tp: TopicPartition, to spec: OffsetSpec) { assign([(tp, spec)]) }

    /// Closes the connections.
    public func close() async { await cluster.close() }

    /// Fetches once from every leader of the assigned partitions and returns the records found (possibly none
    /// after `fetch.max.wait.ms`).
    public func poll() async throws -> [ConsumerRecord] {
        try await resolveStarts()
        let topics = Array(Set(order.map(\.topic)))
        let m = try await cluster.withRetries("metadata") { [cluster] in try await cluster.metadata(topics: topics) }
        var byLeader: [Int32: [(TopicPartition, Int64)]] = [:]
        for tp in order {
            guard let offset = positions[tp] else { continue }
            guard let leader = m.leader(of: tp.topic, partition: tp.partition) else {
                await cluster.invalidateMetadata()
                continue
            }
            byLeader[leader, default: []].append((tp, offset))
        }
        if byLeader.isEmpty {
            try await Task.sleep(for: .milliseconds(config.client.retryBackoffMs))
            return []
        }
        var links: [(BrokerLink, [(TopicPartition, Int64)])] = []
        for (leader, parts) in byLeader.sorted(by: { $0.key < $1.key }) { links.append((try await cluster.link(to: leader), parts)) }
        let cfg = config
        let responses = await withTaskGroup(of: (Int32, Result<FetchResponse, any Error>).self) { group in
            for (link, parts) in links {
                group.addTask {
                    do {
                        let (r, _) = try await link.send(.fetch, as: FetchResponse.self) { _ in Self.fetchRequest(parts, cfg) }
                        return (link.nodeId, .success(r))
                    } catch {
                        return (link.nodeId, .failure(error))
                    }
                }
            }
            var all: [(Int32, Result<FetchResponse, any Error>)] = []
            for await r in group { all.append(r) }
            return all
        }
        var out: [ConsumerRecord] = []
        var failed = false
        for (broker, result) in responses.sorted(by: { $0.0 < $1.0 }) {
            switch result {
            case .failure:
                failed = true
            case .success(let r):
                out += try await handle(r, from: broker)
            }
        }
        if failed {
            // A leader that does not answer (killed, restarting): refresh metadata and wait the retry backoff
            // rather than spin on a connection that fails at once.
            await cluster.invalidateMetadata()
            if out.isEmpty { try await Task.sleep(for: .milliseconds(config.client.retryBackoffMs)) }
        }
        return out
    }

    static func fetchRequest(_ parts: [(TopicPartition, Int64)], _ cfg: ConsumerConfig) -> FetchRequest {
        var req = FetchRequest()
        req.replicaId = -1
        req.maxWaitMs = cfg.fetchMaxWaitMs
        req.minBytes = cfg.fetchMinBytes
        req.maxBytes = cfg.fetchMaxBytes
        req.isolationLevel = cfg.readCommitted ? 1 : 0
        var topics: [FetchRequest.FetchTopic] = []
        for (tp, offset) in parts {
            var p = FetchRequest.FetchPartition()
            p.partition = tp.partition
            p.fetchOffset = offset
            p.partitionMaxBytes = cfg.maxPartitionFetchBytes
            if let i = topics.firstIndex(where: { $0.topic == tp.topic }) {
                topics[i].partitions.append(p)
            } else {
                var t = FetchRequest.FetchTopic()
                t.topic = tp.topic
                t.partitions = [p]
                topics.append(t)
            }
        }
        req.topics = topics
        return req
    }
}

extension KafkaConsumer {
    func pendingStarts() -> [(TopicPartition, OffsetSpec)] { order.compactMap { tp in pendingStart[tp].map { (tp, $0) } } }

    func applyStarts(_ resolved: [TopicPartition: Int64]) {
        for (tp, offset) in resolved where pendingStart[tp] != nil {
            pendingStart[tp] = nil
            positions[tp] = offset
        }
    }

    func currentPosition(_ tp: TopicPartition) -> Int64? { positions[tp] }

    func advance(_ tp: TopicPartition, to offset: Int64) { positions[tp] = offset }

    func resetToDefault(_ tp: TopicPartition) {
        positions[tp] = nil
        pendingStart[tp] = config.autoOffsetReset
    }
}
