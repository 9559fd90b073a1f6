import NIOCore

/// A frame larger than the configured maximum (Kafka's `socket.request.max.bytes`).
public struct FrameTooLargeError: Error, Equatable, Sendable, CustomStringConvertible {
    public var size: Int32
    public var maximum: Int
    public var description: String { "frame of \(size) bytes refused (maximum \(maximum), socket.request.max.bytes)" }
}

/// A size prefix that no frame can have (negative).
public struct InvalidFrameSizeError: Error, Equatable, Sendable, CustomStringConvertible {
    public var size: Int32
    public var description: String { "invalid frame size \(size) (a size prefix is never negative)" }
}

/// Splits a byte stream into Kafka frames: int32 size, then that many bytes. The size is checked against
/// `maximumFrameSize` as soon as the prefix arrives, before any buffer for the frame is allocated.
public struct KafkaFrameDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = ByteBuffer

    public let maximumFrameSize: Int

    /// `maximumFrameSize` defaults to Kafka's `socket.request.max.bytes` (100 MiB).
    public init(maximumFrameSize: Int = 104_857_600) {
        self.maximumFrameSize = maximumFrameSize
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try Self.nextFrame(from: &buffer, maximumFrameSize: maximumFrameSize) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    /// Takes one whole frame (without its size prefix) off the front of `buffer`, or nil when more bytes are needed.
    public static func nextFrame(from buffer: inout ByteBuffer, maximumFrameSize: Int) throws -> ByteBuffer? {
        guard let size: Int32 = buffer.getInteger(at: buffer.readerIndex) else { return nil }
        guard size >= 0 else { throw InvalidFrameSizeError(size: size) }
        guard Int(size) <= maximumFrameSize else {
            throw FrameTooLargeError(size: size, maximum: maximumFrameSize)
        }
        guard buffer.readableBytes >= 4 + Int(size) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        return buffer.readSlice(length: Int(size))
    }
}
