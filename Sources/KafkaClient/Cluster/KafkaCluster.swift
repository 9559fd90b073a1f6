import KafkaProtocol
import Logging
import NIOCore
import NIOPosix

/// The client's view of a Kafka cluster: the bootstrap addresses, one connection per broker, and the metadata
/// cache. Producer, consumer and admin share it. Requests go through `withRetries`, which retries retriable
/// errors with Kafka's backoff and refreshes metadata after the errors that say it is stale (a leader moved:
/// NOT_LEADER_OR_FOLLOWER; a topic still being created: UNKNOWN_TOPIC_OR_PARTITION).
public actor KafkaCluster {
    public nonisolated let config: KafkaClientConfig
    let group: any EventLoopGroup
    let logger: Logger
    private var links: [Int32: BrokerLink] = [:]
    private var bootstrapLinks: [BrokerLink] = []
    private var cache = ClusterMetadata()
    private var cacheTime: ContinuousClock.Instant?
    private var stale = true
    private var closed = false

    /// A cluster reached through `config.bootstrapServers`; nothing connects until the first request.
    public init(config: KafkaClientConfig, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "kafka.client")) {
        self.config = config
        self.group = group
        self.logger = logger
    }

    /// Closes every connection; requests in flight fail.
    public func close() {
        closed = true
        for l in links.values { l.close() }
        for l in bootstrapLinks { l.close() }
        links = [:]
        bootstrapLinks = []
    }

    /// Marks the cached metadata stale so the next `metadata` call asks a broker.
    public func invalidateMetadata() { stale = true }

    /// Metadata for `topics` (all topics when nil), from the cache when it holds them and is fresh, otherwise
    /// asked of a broker. `autoCreate` lets the broker create missing topics (the producer's
    /// `allow.auto.create.topics`).
    public func metadata(topics: [String]?, refresh: Bool = false, autoCreate: Bool = false) async throws -> ClusterMetadata {
        if !refresh, !stale, let t = cacheTime, ContinuousClock.now - t < .milliseconds(config.metadataMaxAgeMs),
           let wanted = topics, wanted.allSatisfy({ cache.topics[$0] != nil }) {
            return cache
        }
        let fresh = try await fetchMetadata(topics: topics, autoCreate: autoCreate)
        if topics == nil { cache = fresh } else { cache.merge(fresh) }
        cacheTime = .now
        stale = false
        for (id, link) in links where fresh.brokers[id].map({ BrokerAddress(host: link.connection.host, port: link.connection.port) != $0 }) ?? false {
            link.close()
            links[id] = nil
        }
        return fresh
    }

    /// The connection to broker `nodeId`, made on first use from the metadata's address.
    func link(to nodeId: Int32) throws -> BrokerLink {
        if closed { throw KafkaClientError.closed }
        if let l = links[nodeId] { return l }
        guard let address = cache.brokers[nodeId] else {
            stale = true
            throw KafkaClientError.network("broker \(nodeId) is not in the metadata")
        }
        let l = BrokerLink(nodeId: nodeId, address: address, config: config, group: group)
        links[nodeId] = l
        return l
    }

    /// A connection to the broker admin requests go to: the controller Metadata names (a KRaft broker names
    /// itself or another broker, which forwards), else any known broker.
    func controllerLink() async throws -> BrokerLink {
        let m = try await metadata(topics: [])
        if m.controllerId >= 0, m.brokers[m.controllerId] != nil { return try link(to: m.controllerId) }
        return try await anyLink()
    }

    /// A connection to any broker (the lowest id Metadata lists), for requests any broker answers.
    func anyLink() async throws -> BrokerLink {
        let m = try await metadata(topics: [])
        guard let id = m.brokers.keys.min() else { throw KafkaClientError.network("no broker in the metadata") }
        return try link(to: id)
    }

    /// Asks the known brokers, then the bootstrap addresses, in turn until one answers.
    private func fetchMetadata(topics: [String]?, autoCreate: Bool) async throws -> ClusterMetadata {
        if closed { throw KafkaClientError.closed }
        if bootstrapLinks.isEmpty {
            bootstrapLinks = config.bootstrapServers.enumerated().map {
                BrokerLink(nodeId: -1 - Int32($0.offset), address: $0.element, config: config, group: group)
            }
        }
        let candidates = cache.brokers.keys.sorted().compactMap { try? link(to: $0) } + bootstrapLinks
        var lastError: any Error = KafkaClientError.network("no bootstrap server")
        for l in candidates {
            do {
                let (r, _) = try await l.send(.metadata, as: MetadataResponse.self) { version in
                    var req = MetadataRequest()
                    req.topics = topics?.map { var t = MetadataRequest.MetadataRequestTopic(); t.name = $0; return t }
                    req.allowAutoTopicCreation = autoCreate
                    return req
                }
                return ClusterMetadata(r)
            } catch {
                logger.debug("metadata from \(l.endpoint) failed: \(error)")
                lastError = error
            }
        }
        throw lastError is KafkaClientError ? lastError : KafkaClientError.network("\(lastError)")
    }

    /// Runs `operation` until it succeeds, fails with an error that is not retriable, or
    /// `default.api.timeout.ms` passes; waits the retry backoff between attempts and marks metadata stale after
    /// errors that call for it.
    public nonisolated func withRetries<T: Sendable>(
        _ what: String, timeoutMs: Int64? = nil, _ operation: @Sendable () async throws -> T
    ) async throws -> T {
        let backoff = RetryBackoff(initialMs: config.retryBackoffMs, maxMs: config.retryBackoffMaxMs)
        let deadline = ContinuousClock.now + .milliseconds(timeoutMs ?? config.defaultApiTimeoutMs)
        var attempt = 0
        while true {
            do {
                return try await operation()
            } catch let error as KafkaClientError {
                guard error.isRetriable else { throw error }
                if error.invalidatesMetadata { await invalidateMetadata() }
                let wait = backoff.delayMs(attempt: attempt, unit: Double.random(in: 0..<1))
                guard ContinuousClock.now + .milliseconds(wait) < deadline else {
                    throw KafkaClientError.timedOut("\(what): \(error)")
                }
                attempt += 1
                try await Task.sleep(for: .milliseconds(wait))
            }
        }
    }
}
