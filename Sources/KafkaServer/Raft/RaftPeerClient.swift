import KafkaProtocol
import KafkaRaft
import NIOCore
import NIOPosix
import Synchronization

/// The connection from one raft node to one peer voter's controller listener, as Kafka's raft client keeps one
/// `NetworkClient` connection per voter: Kafka framing, request header v2 with client id `raft-client-<nodeId>`,
/// the core's correlation ids on the wire, a request timeout (`controller.quorum.request.timeout.ms`) after which
/// the request is reported failed and the connection closed, and reconnection with exponential backoff
/// (Kafka's `reconnect.backoff.ms` 50 to `reconnect.backoff.max.ms` 1000).
///
/// Sends are queued and written in order by one task; responses are decoded on the event loop and handed to
/// `deliver` as `.received`; a failure of any kind becomes `.requestFailed` for that correlation id.
final class RaftPeerClient: Sendable {
    static let reconnectBackoffMs: Int64 = 50
    static let reconnectBackoffMaxMs: Int64 = 1000

    let peer: KafkaRaft.QuorumVoter
    let clientId: String
    let requestTimeoutMs: Int64
    private let group: any EventLoopGroup
    private let deliver: @Sendable (RaftEvent) -> Void
    private let outbox: AsyncStream<RaftEnvelope>.Continuation
    private let state = Mutex(State())

    private struct Pending {
        var apiKey: ApiKey
        var version: Int16
        var timeout: Scheduled<Void>?
    }

    private struct State {
        var channel: (any Channel)?
        var pending: [Int32: Pending] = [:]
        var backoffMs = RaftPeerClient.reconnectBackoffMs
        var nextConnectAt: ContinuousClock.Instant?
        var closed = false
    }

    init(localId: Int32, peer: KafkaRaft.QuorumVoter, group: any EventLoopGroup, requestTimeoutMs: Int64,
         deliver: @escaping @Sendable (RaftEvent) -> Void) {
        self.peer = peer
        self.clientId = "raft-client-\(localId)"
        self.requestTimeoutMs = requestTimeoutMs
        self.group = group
        self.deliver = deliver
        let (stream, continuation) = AsyncStream<RaftEnvelope>.makeStream()
        self.outbox = continuation
        Task { [self] in
            for await envelope in stream { await self.write(envelope) }
        }
    }

    /// Queues a request; its response (or failure) comes back through `deliver`.
    func send(_ envelope: RaftEnvelope) {
        if case .dropped = outbox.yield(envelope) { fail(envelope.correlationId) }
    }

    func close() {
        outbox.finish()
        let channel = state.withLock { s -> (any Channel)? in
            s.closed = true
            return s.channel
        }
        channel?.close(promise: nil)
    }

    private func fail(_ correlationId: Int32) {
        deliver(.requestFailed(to: peer.id, correlationId: correlationId))
    }

    private func write(_ envelope: RaftEnvelope) async {
        let version = envelope.message.kafka37Version
        guard let request = envelope.message.wireMessage(version: version) as? any KafkaRequest else {
            fail(envelope.correlationId)
            return
        }
        var frame = ByteBuffer()
        do {
            try KafkaFrame.encodeRequest(request, version: version, correlationId: envelope.correlationId, clientId: clientId, into: &frame)
        } catch {
            fail(envelope.correlationId)
            return
        }
        guard let channel = await connectedChannel() else {
            fail(envelope.correlationId)
            return
        }
        let cid = envelope.correlationId
        let timeout = channel.eventLoop.scheduleTask(in: .milliseconds(requestTimeoutMs)) { [self] in
            timedOut(cid, on: channel)
        }
        let registered = state.withLock { s -> Bool in
            guard s.channel === channel else { return false }
            s.pending[cid] = Pending(apiKey: envelope.message.apiKey, version: version, timeout: timeout)
            return true
        }
        guard registered else {
            timeout.cancel()
            fail(cid)
            return
        }
        channel.writeAndFlush(frame, promise: nil)
    }

    /// The open connection, connecting first when there is none and the reconnect backoff has passed.
    private func connectedChannel() async -> (any Channel)? {
        enum Step { case use(any Channel), wait, connect }
        let step = state.withLock { s -> Step in
            if s.closed { return .wait }
            if let c = s.channel { return .use(c) }
            if let at = s.nextConnectAt, ContinuousClock.now < at { return .wait }
            return .connect
        }
        switch step {
        case .use(let c): return c
        case .wait: return nil
        case .connect: break
        }
        do {
            let channel = try await ClientBootstrap(group: group)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connectTimeout(.milliseconds(requestTimeoutMs))
                .channelInitializer { [self] channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(KafkaFrameDecoder()))
                        try channel.pipeline.syncOperations.addHandler(RaftResponseHandler(client: self))
                    }
                }
                .connect(host: peer.host, port: peer.port).get()
            let keep = state.withLock { s -> Bool in
                guard !s.closed else { return false }
                s.channel = channel
                s.backoffMs = Self.reconnectBackoffMs
                s.nextConnectAt = nil
                return true
            }
            if !keep {
                channel.close(promise: nil)
                return nil
            }
            return channel
        } catch {
            state.withLock { s in
                s.nextConnectAt = ContinuousClock.now + .milliseconds(s.backoffMs)
                s.backoffMs = min(s.backoffMs * 2, Self.reconnectBackoffMaxMs)
            }
            return nil
        }
    }

    // MARK: - Called on the connection's event loop

    func received(_ frame: ByteBuffer, on channel: any Channel) {
        guard let cid: Int32 = frame.getInteger(at: frame.readerIndex) else { return }
        let pending = state.withLock { $0.pending.removeValue(forKey: cid) }
        guard let pending else { return }   // answered after its timeout: already reported failed
        pending.timeout?.cancel()
        do {
            let response = try ResponseFrame(parsing: frame, apiKey: pending.apiKey, version: pending.version)
            guard let message = try RaftMessage(wire: response.body) else { throw RaftWireError.notTheMetadataPartition }
            deliver(.received(from: peer.id, RaftEnvelope(correlationId: cid, message: message)))
        } catch {
            fail(cid)
            channel.close(promise: nil)
        }
    }

    func disconnected(_ channel: any Channel) {
        let failed = state.withLock { s -> [Int32] in
            guard s.channel === channel else { return [] }
            s.channel = nil
            let ids = Array(s.pending.keys)
            for p in s.pending.values { p.timeout?.cancel() }
            s.pending = [:]
            return ids
        }
        for cid in failed.sorted() { fail(cid) }
    }

    private func timedOut(_ cid: Int32, on channel: any Channel) {
        let expired = state.withLock { $0.pending.removeValue(forKey: cid) != nil }
        guard expired else { return }
        fail(cid)
        // As Kafka's NetworkClient: a request that timed out takes its connection down.
        channel.close(promise: nil)
    }
}

/// Hands the response frames of one peer connection to its client.
private final class RaftResponseHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let client: RaftPeerClient

    init(client: RaftPeerClient) { self.client = client }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        client.received(unwrapInboundIn(data), on: context.channel)
    }

    func channelInactive(context: ChannelHandlerContext) {
        client.disconnected(context.channel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
