import KafkaProtocol
import Logging
import NIOCore
import NIOPosix

/// A bound listening socket serving the Kafka protocol.
public final class KafkaListener: Sendable {
    public let name: String
    public let channel: Channel

    /// The port actually bound (useful when the configured port is 0).
    public var port: Int { channel.localAddress?.port ?? 0 }

    private init(name: String, channel: Channel) {
        self.name = name
        self.channel = channel
    }

    /// Binds `host:port` and serves connections with `router`.
    public static func bind(
        name: String, host: String, port: Int, group: EventLoopGroup, router: RequestRouter,
        maxRequestSize: Int, logger: Logger
    ) async throws -> KafkaListener {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(KafkaFrameDecoder(maximumFrameSize: maxRequestSize)))
                    try channel.pipeline.syncOperations.addHandler(
                        KafkaConnectionHandler(router: router, listenerName: name, logger: logger))
                }
            }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        return KafkaListener(name: name, channel: channel)
    }

    public func close() async {
        try? await channel.close()
    }
}
