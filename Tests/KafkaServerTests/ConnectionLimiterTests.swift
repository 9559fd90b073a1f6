import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import KafkaServer

/// The limiter on real loopback sockets: the kernel completes a client's connect whether or not the server
/// accepts it, so "served" (the child channel initialised) is what tells an admitted connection from a waiting one.
@Suite("Connection limiter")
struct ConnectionLimiterTests {
    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    final class Server: Sendable {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let served = Counter()
        let limiter: ConnectionLimiter
        let channel: Channel

        init(quota: ConnectionQuota) async throws {
            let limiter = ConnectionLimiter(quota: quota, eventLoop: group.next(), rejections: nil)
            self.limiter = limiter
            let served = self.served
            channel = try await ServerBootstrap(group: limiter.eventLoop, childGroup: group)
                .serverChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(limiter.makeHandler(listener: "TEST"))
                    }
                }
                .childChannelInitializer { channel in
                    served.value.add(1, ordering: .relaxed)
                    return channel.eventLoop.makeSucceededVoidFuture()
                }
                .bind(host: "127.0.0.1", port: 0).get()
        }

        var port: Int { channel.localAddress?.port ?? 0 }
        var servedCount: Int { served.value.load(ordering: .relaxed) }
        func count() async throws -> Int { try await limiter.eventLoop.submit { self.limiter.count }.get() }

        func connect() async throws -> Channel {
            try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port).get()
        }

        func shutdown() async throws {
            limiter.stop()
            try await channel.close()
            try await group.shutdownGracefully()
        }
    }

    /// Polls `condition` every 20 ms for at most `seconds`.
    func eventually(seconds: Int = 10, _ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0 ..< seconds * 50 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }

    @Test func atTheLimitConnectionsWaitAndAreServedInTurnAsOthersClose() async throws {
        let server = try await Server(quota: ConnectionQuota(maxConnections: 2))
        // More than one accept burst (NIO takes up to 4 per wake-up) past the limit.
        var clients: [Channel] = []
        for _ in 0 ..< 6 { clients.append(try await server.connect()) }
        #expect(try await eventually { server.servedCount == 2 })
        // A moment for any excess accept to show; the limit holds.
        try await Task.sleep(for: .milliseconds(300))
        #expect(server.servedCount == 2)
        #expect(try await server.count() == 2)
        for (closed, client) in clients.enumerated().prefix(4) {
            try await client.close()
            #expect(try await eventually { server.servedCount == 3 + closed }, "after \(closed + 1) closed")
        }
        #expect(try await server.count() == 2)
        for client in clients.suffix(2) { try await client.close() }
        #expect(try await eventually { try await server.count() == 0 })
        try await server.shutdown()
    }

    @Test func aConnectionOverItsAddressLimitIsClosedAtOnce() async throws {
        let server = try await Server(quota: ConnectionQuota(maxConnectionsPerIp: 1))
        let first = try await server.connect()
        #expect(try await eventually { server.servedCount == 1 })
        let second = try await server.connect()
        // The server closes it without serving it: the client sees its end of the connection close.
        try await second.closeFuture.get()
        #expect(server.servedCount == 1)
        #expect(first.isActive)
        try await first.close()
        #expect(try await eventually { try await server.count() == 0 })
        let third = try await server.connect()
        #expect(try await eventually { server.servedCount == 2 })
        try await third.close()
        try await server.shutdown()
    }
}
