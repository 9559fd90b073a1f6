import KafkaProtocol
import Logging
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One client connection: frames in, responses out, in request order.
///
/// Requests of one connection are served one after another, as Kafka's broker does (it mutes a connection while a
/// request is in flight): two Produce requests to one partition on one connection must append in the order sent.
/// Frames are parsed on the event loop and handed to a per-connection task through an async stream.
final class KafkaConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let router: RequestRouter
    private let listenerName: String
    private var logger: Logger
    private let badConnections: BadConnectionLog
    private var client = "unknown"
    private var continuation: AsyncStream<RequestFrame>.Continuation?
    private var worker: Task<Void, Never>?
    /// Requests read but not yet answered. Past `pauseAt` the connection stops reading (Kafka mutes a connection
    /// with a request in flight; a little pipelining is kept for throughput), and reads resume below `resumeAt`.
    private let queued = QueueDepth()
    static let pauseAt = 64
    static let resumeAt = 16

    init(router: RequestRouter, listenerName: String, logger: Logger, badConnections: BadConnectionLog) {
        self.router = router
        self.listenerName = listenerName
        self.logger = logger
        self.badConnections = badConnections
    }

    func channelActive(context: ChannelHandlerContext) {
        let client = context.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "unknown"
        self.client = client
        logger[metadataKey: "client"] = "\(client)"
        let badConnections = self.badConnections
        let (stream, continuation) = AsyncStream<RequestFrame>.makeStream()
        self.continuation = continuation
        let channel = context.channel
        let router = self.router
        let listenerName = self.listenerName
        let logger = self.logger
        let queued = self.queued
        let resumeAt = Self.resumeAt
        worker = Task {
            for await frame in stream {
                let outcome = await router.route(frame, clientAddress: client, listenerName: listenerName, logger: logger)
                if case .close(let reason) = outcome {
                    badConnections.record(client: client, listener: listenerName, reason: reason, detail: reason)
                }
                if !ResponseWriter.deliver(outcome, for: frame, on: channel, logger: logger) { return }
                if queued.value.subtract(1, ordering: .relaxed).newValue == resumeAt {
                    channel.setOption(.autoRead, value: true).whenFailure { _ in }
                }
            }
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        do {
            let request = try RequestFrame(parsing: frame)
            if queued.value.add(1, ordering: .relaxed).newValue == Self.pauseAt {
                context.channel.setOption(.autoRead, value: false).whenFailure { _ in }
            }
            continuation?.yield(request)
        } catch {
            let reason = frame.readableBytes == 0 ? "empty frame (size 0)" : "unreadable request header"
            badConnections.record(client: client, listener: listenerName, reason: reason, detail: "\(reason): \(error)")
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation?.finish()
        continuation = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        switch error {
        case let tooLarge as FrameTooLargeError:
            badConnections.record(client: client, listener: listenerName, reason: "frame too large", detail: "\(tooLarge)")
        case let invalid as InvalidFrameSizeError:
            badConnections.record(client: client, listener: listenerName, reason: "invalid frame size", detail: "\(invalid)")
        default:
            // Resets and the like: the client's business, not bad input.
            logger.debug("closing connection: \(error)")
        }
        context.close(promise: nil)
    }
}

/// Turns handler outcomes into bytes on the connection.
enum ResponseWriter {
    /// Sends what a handler decided; false when the connection is to be closed (and has been).
    static func deliver(_ outcome: RequestOutcome, for frame: RequestFrame, on channel: Channel, logger: Logger) -> Bool {
        guard let api = frame.apiKey else {
            channel.close(promise: nil)
            return false
        }
        var buffer = channel.allocator.buffer(capacity: 256)
        var slices: [FileSlice] = []
        var parts: [ResponseLayout.Part]? = nil
        do {
            switch outcome {
            case .respond(let response):
                try KafkaFrame.encodeResponse(response, apiKey: api, version: frame.apiVersion,
                                              correlationId: frame.header.correlationId, into: &buffer)
            case .respondWithVersion(let response, let version):
                try KafkaFrame.encodeResponse(response, apiKey: api, version: version,
                                              correlationId: frame.header.correlationId, into: &buffer)
            case .respondWithFileSlices(let response, let fileSlices):
                // The regions are laid out as the response is encoded: each records field holding a placeholder
                // gets the region's length prefix and a mark where its bytes go.
                slices = fileSlices
                var regions = ResponseLayout.regions(for: fileSlices)
                try KafkaFrame.encodeResponse(response, apiKey: api, version: frame.apiVersion,
                                              correlationId: frame.header.correlationId, into: &buffer, regions: &regions)
                // Placeholders and slices that do not pair up are a handler bug (ResponseLayout.Mismatch): the
                // connection is closed, and the client fetches again, rather than placeholder bytes sent as records.
                parts = try ResponseLayout.parts(of: buffer, regions: regions, slices: fileSlices)
            case .noResponse:
                return true
            case .close(let reason):
                logger.debug("closing connection: \(reason)")
                channel.close(promise: nil)
                return false
            }
        } catch {
            for s in slices { close(s.descriptor) }
            logger.error("cannot encode \(api.name) v\(frame.apiVersion) response: \(error)")
            channel.close(promise: nil)
            return false
        }
        if let parts {
            write(parts, to: channel)
        } else {
            channel.writeAndFlush(buffer, promise: nil)
        }
        return true
    }

    /// Writes the parts of a laid-out response; file regions go out with sendfile, and their descriptors are closed
    /// once written (or when the write fails).
    static func write(_ parts: [ResponseLayout.Part], to channel: Channel) {
        for part in parts {
            switch part {
            case .bytes(let b):
                channel.write(b, promise: nil)
            case .file(let slice):
                let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: slice.descriptor)
                let region = FileRegion(fileHandle: handle, readerIndex: Int(slice.position),
                                        endIndex: Int(slice.position) + slice.length)
                channel.write(region).whenComplete { _ in try? handle.close() }
            }
        }
        channel.flush()
    }
}

/// The number of a connection's requests in flight, shared by the event loop and the connection's task.
final class QueueDepth: Sendable {
    let value = Atomic<Int>(0)
}
