import KafkaProtocol
import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// A bound listening socket serving the Kafka protocol.
public final class KafkaListener: Sendable {
    public let name: String
    public let channel: Channel
    /// The limits this listener shares with others (nil: unlimited).
    public let limiter: ConnectionLimiter?

    /// The port actually bound (useful when the configured port is 0).
    public var port: Int { channel.localAddress?.port ?? 0 }

    private init(name: String, channel: Channel, limiter: ConnectionLimiter?) {
        self.name = name
        self.channel = channel
        self.limiter = limiter
    }

    /// Binds `host:port` and serves connections with `router`.
    /// - Parameter limiter: the connection limits to enforce; the server channel is then bound on its event loop
    ///   (connections are still served on all of `group`).
    public static func bind(
        name: String, host: String, port: Int, group: EventLoopGroup, router: RequestRouter,
        maxRequestSize: Int, logger: Logger, badConnections: BadConnectionLog, limiter: ConnectionLimiter? = nil
    ) async throws -> KafkaListener {
        let bootstrap = ServerBootstrap(group: limiter?.eventLoop ?? group.next(), childGroup: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // An accept failing with EMFILE or ENFILE (or ENOBUFS, ENOMEM) is not fatal to the server
                    // channel, but without a back-off NIO would retry it at once, spinning; this waits a second.
                    // NIO adds this handler itself only on its async bootstrap path, not on this one.
                    try channel.pipeline.syncOperations.addHandler(
                        AcceptBackoffHandler(shouldForwardIOErrorCaught: false) { error in
                            logger.warning("listener \(name): accepting failed (\(error)); trying again in 1 s")
                            return .seconds(1)
                        })
                    if let limiter {
                        try channel.pipeline.syncOperations.addHandler(limiter.makeHandler(listener: name))
                    }
                }
            }
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(KafkaFrameDecoder(maximumFrameSize: maxRequestSize)))
                    try channel.pipeline.syncOperations.addHandler(
                        KafkaConnectionHandler(router: router, listenerName: name, logger: logger, badConnections: badConnections))
                }
            }
        do {
            let channel = try await bootstrap.bind(host: host, port: port).get()
            return KafkaListener(name: name, channel: channel, limiter: limiter)
        } catch {
            throw ListenerBindError(listener: name, host: host, port: port, underlying: error)
        }
    }

    /// Stops accepting. A shared limiter stops counting closes too: the listeners sharing it close together.
    public func close() async {
        limiter?.stop()
        try? await channel.close()
    }
}

/// A listener that could not be bound, named as configured: `listener PLAINTEXT://localhost:9092: address already in
/// use`.
public struct ListenerBindError: Error, CustomStringConvertible {
    public let listener: String
    public let host: String
    public let port: Int
    public let underlying: any Error

    public var description: String {
        let reason: String
        if let io = underlying as? IOError {
            // strerror's text, lower-cased as Kafka's "Address already in use" reads in a sentence.
            reason = String(cString: strerror(io.errnoCode)).lowercased()
        } else {
            reason = "\(underlying)"
        }
        return "listener \(listener)://\(host):\(port): \(reason)"
    }
}
