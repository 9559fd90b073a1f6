import KafkaProtocol
import KafkaRaft
import NIOCore
import NIOPosix

/// A plain Kafka client connection for tests: one request at a time, each answered frame decoded.
final class TestWireClient: Sendable {
    let channel: any Channel
    let frames: AsyncStream<ByteBuffer>

    private init(channel: any Channel, frames: AsyncStream<ByteBuffer>) {
        self.channel = channel
        self.frames = frames
    }

    static func connect(port: Int, group: any EventLoopGroup) async throws -> TestWireClient {
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream()
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(KafkaFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(FrameCollector(continuation: continuation))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return TestWireClient(channel: channel, frames: stream)
    }

    /// Sends a raft request (Kafka 3.7's version) and returns the core's view of the answer.
    func send(_ message: RaftMessage, correlationId: Int32) async throws -> RaftMessage? {
        let version = message.kafka37Version
        guard let request = message.wireMessage(version: version) as? any KafkaRequest,
              let response = try await send(request, version: version, correlationId: correlationId) else { return nil }
        return try RaftMessage(wire: response)
    }

    /// Sends any request and returns the decoded response body (nil if the connection closed first).
    func send(_ request: any KafkaRequest, version: Int16, correlationId: Int32) async throws -> (any KafkaResponse)? {
        guard let api = ApiKey(rawValue: type(of: request).apiKey) else { return nil }
        var frame = ByteBuffer()
        try KafkaFrame.encodeRequest(request, version: version, correlationId: correlationId, clientId: "raft-test", into: &frame)
        try await channel.writeAndFlush(frame)
        var iterator = frames.makeAsyncIterator()
        guard let answer = await iterator.next() else { return nil }
        let response = try ResponseFrame(parsing: answer, apiKey: api, version: version)
        guard response.header.correlationId == correlationId else { return nil }
        return response.body
    }

    func close() async { try? await channel.close() }
}

private final class FrameCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let continuation: AsyncStream<ByteBuffer>.Continuation
    init(continuation: AsyncStream<ByteBuffer>.Continuation) { self.continuation = continuation }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { continuation.yield(unwrapInboundIn(data)) }
    func channelInactive(context: ChannelHandlerContext) { continuation.finish() }
}
