import KafkaProtocol
import NIOCore
import NIOPosix
import Synchronization

/// Why a request sent on a `KafkaClientConnection` got no response.
public enum KafkaClientConnectionError: Error, Equatable, CustomStringConvertible {
    /// The TCP connection could not be made (or the reconnect backoff has not passed yet).
    case unreachable(String)
    /// No response within the request timeout; the connection was closed, as Kafka's NetworkClient does.
    case timedOut(String)
    /// The connection closed with the request in flight.
    case disconnected(String)
    /// The response did not parse as the request's response.
    case badResponse(String)
    /// The request could not be encoded.
    case badRequest(String)

    public var description: String {
        switch self {
        case .unreachable(let s): "cannot connect to \(s)"
        case .timedOut(let s): "no response from \(s) within the request timeout"
        case .disconnected(let s): "connection to \(s) closed with the request in flight"
        case .badResponse(let s): "unparseable response: \(s)"
        case .badRequest(let s): "request not encodable: \(s)"
        }
    }
}

/// One client connection to a Kafka listener, for requests that await their response: the client library's link to
/// each broker, and the broker's own channels to the active controller (Kafka's `NodeToControllerChannelManager`)
/// and to partition leaders (replica fetchers). Kafka framing, the request
/// header its API and version call for, this node's client id, correlation ids of its own, a request timeout after
/// which the request fails and the connection closes, and reconnection with exponential backoff (Kafka's
/// `reconnect.backoff.ms` 50 to `reconnect.backoff.max.ms` 1000). Requests may be in flight concurrently.
public final class KafkaClientConnection: Sendable {
    static let reconnectBackoffMs: Int64 = 50
    static let reconnectBackoffMaxMs: Int64 = 1000

    public let host: String
    public let port: Int
    let clientId: String
    let requestTimeoutMs: Int64
    private let group: any EventLoopGroup
    private let state = Mutex(State())

    private struct Pending {
        var apiKey: ApiKey
        var version: Int16
        var continuation: CheckedContinuation<ResponseFrame, any Error>
        var timeout: Scheduled<Void>?
    }

    private struct State {
        var channel: (any Channel)?
        var connecting: EventLoopFuture<any Channel>?
        var pending: [Int32: Pending] = [:]
        var nextCorrelationId: Int32 = 0
        var backoffMs = KafkaClientConnection.reconnectBackoffMs
        var nextConnectAt: ContinuousClock.Instant?
        var closed = false
    }

    public init(host: String, port: Int, clientId: String, group: any EventLoopGroup, requestTimeoutMs: Int64) {
        self.host = host
        self.port = port
        self.clientId = clientId
        self.group = group
        self.requestTimeoutMs = requestTimeoutMs
    }

    /// `host:port`, as error messages name it.
    public var endpoint: String { "\(host):\(port)" }

    /// Sends `request` at `version` and returns its response, or throws `KafkaClientConnectionError`.
    public func send<R: KafkaRequest>(_ request: R, version: Int16) async throws -> ResponseFrame {
        guard let api = ApiKey(rawValue: R.apiKey) else { throw KafkaClientConnectionError.badRequest("API key \(R.apiKey)") }
        let channel = try await connectedChannel()
        let (cid, frame) = try encode(request, version: version)
        return try await withCheckedThrowingContinuation { continuation in
            let timeout = channel.eventLoop.scheduleTask(in: .milliseconds(requestTimeoutMs)) { [self] in
                timedOut(cid, on: channel)
            }
            let registered = state.withLock { s -> Bool in
                guard s.channel === channel, !s.closed else { return false }
                s.pending[cid] = Pending(apiKey: api, version: version, continuation: continuation, timeout: timeout)
                return true
            }
            guard registered else {
                timeout.cancel()
                continuation.resume(throwing: KafkaClientConnectionError.disconnected(endpoint))
                return
            }
            channel.writeAndFlush(frame, promise: nil)
        }
    }

    /// Sends `request` at `version` without awaiting a response: a Produce with acks=0, which the broker never
    /// answers. Returns once the frame is written.
    public func sendOneWay<R: KafkaRequest>(_ request: R, version: Int16) async throws {
        let channel = try await connectedChannel()
        let (_, frame) = try encode(request, version: version)
        do {
            try await channel.writeAndFlush(frame)
        } catch {
            throw KafkaClientConnectionError.disconnected(endpoint)
        }
    }

    /// The request framed with a fresh correlation id.
    private func encode<R: KafkaRequest>(_ request: R, version: Int16) throws -> (Int32, ByteBuffer) {
        let cid = state.withLock { s -> Int32 in
            let id = s.nextCorrelationId
            s.nextCorrelationId = id == .max ? 0 : id + 1
            return id
        }
        var frame = ByteBuffer()
        do {
            try KafkaFrame.encodeRequest(request, version: version, correlationId: cid, clientId: clientId, into: &frame)
        } catch {
            throw KafkaClientConnectionError.badRequest("API \(R.apiKey) v\(version): \(error)")
        }
        return (cid, frame)
    }

    /// Closes the connection; requests in flight fail with `.disconnected`.
    public func close() {
        let channel = state.withLock { s -> (any Channel)? in
            s.closed = true
            return s.channel
        }
        channel?.close(promise: nil)
    }

    /// The open connection; connects first when there is none and the backoff has passed. Concurrent callers share
    /// one connection attempt.
    private func connectedChannel() async throws -> any Channel {
        enum Step { case use(any Channel), await(EventLoopFuture<any Channel>), refuse }
        let step = state.withLock { s -> Step in
            if s.closed { return .refuse }
            if let c = s.channel { return .use(c) }
            if let f = s.connecting { return .await(f) }
            if let at = s.nextConnectAt, ContinuousClock.now < at { return .refuse }
            let future = ClientBootstrap(group: group)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connectTimeout(.milliseconds(requestTimeoutMs))
                .channelInitializer { [self] channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(KafkaFrameDecoder()))
                        try channel.pipeline.syncOperations.addHandler(ClientResponseHandler(connection: self))
                    }
                }
                .connect(host: host, port: port)
            s.connecting = future
            return .await(future)
        }
        switch step {
        case .use(let c): return c
        case .refuse: throw KafkaClientConnectionError.unreachable(endpoint)
        case .await(let future):
            do {
                let channel = try await future.get()
                let keep = state.withLock { s -> Bool in
                    if s.channel === channel { return true }
                    s.connecting = nil
                    guard !s.closed, channel.isActive else { return false }
                    s.channel = channel
                    s.backoffMs = Self.reconnectBackoffMs
                    s.nextConnectAt = nil
                    return true
                }
                guard keep else {
                    channel.close(promise: nil)
                    throw KafkaClientConnectionError.unreachable(endpoint)
                }
                return channel
            } catch let error as KafkaClientConnectionError {
                throw error
            } catch {
                state.withLock { s in
                    guard s.connecting === future else { return }
                    s.connecting = nil
                    s.nextConnectAt = ContinuousClock.now + .milliseconds(s.backoffMs)
                    s.backoffMs = min(s.backoffMs * 2, Self.reconnectBackoffMaxMs)
                }
                throw KafkaClientConnectionError.unreachable("\(endpoint) (\(error))")
            }
        }
    }

    // MARK: - Called on the connection's event loop

    fileprivate func received(_ frame: ByteBuffer, on channel: any Channel) {
        guard let cid: Int32 = frame.getInteger(at: frame.readerIndex) else { return }
        guard let pending = state.withLock({ $0.pending.removeValue(forKey: cid) }) else { return }
        pending.timeout?.cancel()
        do {
            pending.continuation.resume(returning: try ResponseFrame(parsing: frame, apiKey: pending.apiKey, version: pending.version))
        } catch {
            pending.continuation.resume(throwing: KafkaClientConnectionError.badResponse("\(pending.apiKey.name) v\(pending.version) from \(endpoint): \(error)"))
            channel.close(promise: nil)
        }
    }

    fileprivate func disconnected(_ channel: any Channel) {
        let failed = state.withLock { s -> [Pending] in
            guard s.channel === channel else { return [] }
            s.channel = nil
            let all = Array(s.pending.values)
            s.pending = [:]
            return all
        }
        for p in failed {
            p.timeout?.cancel()
            p.continuation.resume(throwing: KafkaClientConnectionError.disconnected(endpoint))
        }
    }

    private func timedOut(_ cid: Int32, on channel: any Channel) {
        guard let p = state.withLock({ $0.pending.removeValue(forKey: cid) }) else { return }
        p.continuation.resume(throwing: KafkaClientConnectionError.timedOut(endpoint))
        channel.close(promise: nil)
    }
}

/// Hands the response frames of one client connection to it.
private final class ClientResponseHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let connection: KafkaClientConnection

    init(connection: KafkaClientConnection) { self.connection = connection }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.received(unwrapInboundIn(data), on: context.channel)
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.disconnected(context.channel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
