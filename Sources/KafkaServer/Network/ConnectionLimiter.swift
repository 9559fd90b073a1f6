import NIOCore
import Synchronization

/// Enforces one `ConnectionQuota` on the server channels of a group of listeners, as Kafka's acceptor and
/// `ConnectionQuotas` do:
/// - at the broker-wide limit the server channels stop accepting (autoRead off) until a connection closes, so new
///   connections wait in the kernel's listen backlog;
/// - a connection over its address's limit is closed right after accept, with a rate-limited log line.
///
/// All bookkeeping is on `eventLoop`, which every server channel using this limiter must be bound on; a child
/// channel (served on any loop of the group) reports its close by a task on that loop. No lock is taken on the
/// accept path.
///
/// One accept burst can take a few connections past the moment the limit is reached (NIO accepts up to
/// `maxMessagesPerRead` per wake-up before autoRead takes effect): those are held, not yet given to the pipeline
/// that would serve them, and handed on in order as slots free, so the number served never exceeds the limit.
public final class ConnectionLimiter: Sendable {
    public let eventLoop: any EventLoop
    private let state: NIOLoopBoundBox<State>
    /// Set once the listeners close: closes are no longer reported (the group's event loops may be shutting
    /// down, and a task scheduled on a loop that has stopped is an error in NIO).
    private let stopped = Atomic<Bool>(false)
    private let rejections: BadConnectionLog?

    /// A server channel using the limiter: its limit handler's context and its listener's name.
    struct Server {
        var context: ChannelHandlerContext
        var listener: String
    }

    /// An accepted connection waiting for a slot, with the read that carried it (handed on as it came).
    struct Held {
        var server: ObjectIdentifier
        var child: Channel
        var read: NIOAny
    }

    struct State {
        var counts: ConnectionCounts
        /// The limit handler of each server channel, to hand on held connections and switch autoRead.
        var servers: [ObjectIdentifier: Server] = [:]
        var held = CircularBuffer<Held>()
        var paused = false
    }

    /// - Parameter rejections: where connections closed for their address's limit are logged (nil: not logged).
    public init(quota: ConnectionQuota, eventLoop: any EventLoop, rejections: BadConnectionLog?) {
        self.eventLoop = eventLoop
        self.rejections = rejections
        self.state = .makeBoxSendingValue(State(counts: ConnectionCounts(quota: quota)), eventLoop: eventLoop)
    }

    public var quota: ConnectionQuota {
        eventLoop.preconditionInEventLoop()
        return state.value.counts.quota
    }

    /// The connections being served now (on `eventLoop`).
    public var count: Int { state.value.counts.total }

    /// Stops reporting closes; called when the listeners close, before the event loops shut down.
    public func stop() {
        stopped.store(true, ordering: .relaxed)
    }

    /// The handler to add to a server channel's pipeline (bound on `eventLoop`), before NIO's accept handler.
    public func makeHandler(listener: String) -> ChannelHandler {
        ConnectionLimitHandler(limiter: self, listener: listener)
    }

    // MARK: - On `eventLoop`, from the handlers

    fileprivate func added(_ context: ChannelHandlerContext, listener: String) {
        state.value.servers[ObjectIdentifier(context.channel)] = Server(context: context, listener: listener)
        if state.value.paused { setAutoRead(false, context) }
    }

    fileprivate func removed(_ context: ChannelHandlerContext) {
        let server = ObjectIdentifier(context.channel)
        guard state.value.servers.removeValue(forKey: server) != nil else { return }
        var kept = CircularBuffer<Held>()
        for held in state.value.held {
            if held.server == server { held.child.close(promise: nil) } else { kept.append(held) }
        }
        state.value.held = kept
    }

    fileprivate func accepted(_ child: Channel, read: NIOAny, context: ChannelHandlerContext) {
        let server = ObjectIdentifier(context.channel)
        let held = Held(server: server, child: child, read: read)
        guard let entry = state.value.servers[server] else {
            child.close(promise: nil)
            return
        }
        // Earlier connections waiting go first.
        guard state.value.held.isEmpty else {
            state.value.held.append(held)
            return
        }
        if !admit(held, at: entry) { state.value.held.append(held) }
        if state.value.counts.isFull { pause() }
    }

    /// Serves a connection, or closes it when its address is at its limit; false when it has to wait.
    private func admit(_ held: Held, at server: Server) -> Bool {
        let child = held.child
        let address = child.remoteAddress?.ipAddress.flatMap(ConnectionQuota.normalize)
        switch state.value.counts.admit(address) {
        case .wait:
            return false
        case .rejected(let limit):
            child.close(promise: nil)
            let client = child.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "unknown"
            rejections?.record(
                client: client, listener: server.listener, reason: "address at max.connections.per.ip",
                detail: "address \(address ?? "?") already has the configured maximum of \(limit) connections")
            return true
        case .admitted:
            child.closeFuture.whenComplete { [self] _ in
                // Always a new task, also when the child is on this loop: its close may run inside our own
                // call-outs (a child that fails to initialise closes at once).
                guard !stopped.load(ordering: .relaxed) else { return }
                eventLoop.execute { self.released(address) }
            }
            server.context.fireChannelRead(held.read)
            return true
        }
    }

    private func released(_ address: String?) {
        state.value.counts.release(address)
        while !state.value.counts.isFull, let next = state.value.held.first {
            _ = state.value.held.removeFirst()
            guard let server = state.value.servers[next.server] else {
                next.child.close(promise: nil)
                continue
            }
            _ = admit(next, at: server)
        }
        if state.value.held.isEmpty, !state.value.counts.isFull { resume() }
    }

    private func pause() {
        guard !state.value.paused else { return }
        state.value.paused = true
        for server in state.value.servers.values { setAutoRead(false, server.context) }
    }

    private func resume() {
        guard state.value.paused else { return }
        state.value.paused = false
        for server in state.value.servers.values { setAutoRead(true, server.context) }
    }

    private func setAutoRead(_ on: Bool, _ context: ChannelHandlerContext) {
        // On the server channel's own loop (this one): the synchronous form takes effect before the next read.
        try? context.channel.syncOptions?.setOption(.autoRead, value: on)
    }
}

/// The server-channel side of a `ConnectionLimiter`: sees every accepted child channel before NIO's accept handler
/// registers and initialises it.
final class ConnectionLimitHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Channel
    typealias InboundOut = Channel

    private let limiter: ConnectionLimiter
    private let listener: String

    init(limiter: ConnectionLimiter, listener: String) {
        self.limiter = limiter
        self.listener = listener
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // A limited listener must be bound on its limiter's event loop (the bookkeeping is confined to it).
        limiter.eventLoop.preconditionInEventLoop()
        limiter.added(context, listener: listener)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        limiter.removed(context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        limiter.removed(context)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        limiter.accepted(unwrapInboundIn(data), read: data, context: context)
    }
}
