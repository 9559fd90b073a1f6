import Logging
import NIOCore
import Synchronization

/// The node's listeners other than the controller's: the ones clients and other brokers' fetchers connect to.
///
/// A broker of a multi-node quorum binds them only once it has registered and the controller has unfenced it
/// (so once it caught up with the metadata log), as Kafka's `BrokerServer.startup` enables its acceptors only
/// after the initial metadata catch-up: until then a client gets "connection refused" and tries another
/// bootstrap server, instead of reading the cache the node replayed from its own disk (a restarted node would
/// otherwise answer Metadata with the leaders and ISRs it knew when it stopped). The controller listener is bound
/// by the Raft node and is up from the start (Kafka's `early.start.listeners` default).
final class ClientListeners: Sendable {
    struct Endpoint: Sendable {
        var name: String
        var host: String
        var port: Int
        var protocolName: String
    }

    private struct State {
        var bound: [KafkaListener] = []
        var closed = false
    }

    private let endpoints: [Endpoint]
    private let group: any EventLoopGroup
    private let router: RequestRouter
    private let maxRequestSize: Int
    private let logger: Logger
    private let badConnections: BadConnectionLog
    /// max.connections and max.connections.per.ip, counted over all these listeners together.
    let limiter: ConnectionLimiter
    private let state = Mutex(State())

    init(endpoints: [Endpoint], group: any EventLoopGroup, router: RequestRouter, maxRequestSize: Int,
         logger: Logger, badConnections: BadConnectionLog, limiter: ConnectionLimiter) {
        self.endpoints = endpoints
        self.group = group
        self.router = router
        self.maxRequestSize = maxRequestSize
        self.logger = logger
        self.badConnections = badConnections
        self.limiter = limiter
    }

    /// Binds every endpoint; the first failure closes what was bound and throws, naming the listener. A bind that
    /// completes after `close()` is closed at once (a shutdown during start-up wins).
    func bindAll() async throws {
        for endpoint in endpoints {
            let listener: KafkaListener
            do {
                listener = try await KafkaListener.bind(
                    name: endpoint.name, host: endpoint.host, port: endpoint.port, group: group, router: router,
                    maxRequestSize: maxRequestSize, logger: logger, badConnections: badConnections, limiter: limiter)
            } catch {
                await close()
                throw error
            }
            let keep = state.withLock { s -> Bool in
                guard !s.closed else { return false }
                s.bound.append(listener)
                return true
            }
            guard keep else {
                await listener.close()
                return
            }
            let suffix = endpoint.name == endpoint.protocolName ? "" : " (\(endpoint.protocolName))"
            logger.info("listening on \(endpoint.name)://\(endpoint.host):\(listener.port)\(suffix)")
        }
    }

    /// The ports bound so far, by listener name.
    var ports: [String: Int] {
        state.withLock { s in Dictionary(s.bound.map { ($0.name, $0.port) }, uniquingKeysWith: { a, _ in a }) }
    }

    /// Stops accepting on every bound listener; later binds are refused.
    func close() async {
        let bound = state.withLock { s -> [KafkaListener] in
            s.closed = true
            defer { s.bound = [] }
            return s.bound
        }
        for l in bound { await l.close() }
    }
}
