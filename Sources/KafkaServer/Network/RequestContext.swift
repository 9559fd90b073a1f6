import KafkaProtocol
import Logging
import NIOCore

/// What a handler knows about the request it serves, beyond the body.
public struct RequestContext: Sendable {
    public var apiKey: ApiKey
    public var apiVersion: Int16
    public var header: RequestHeader
    /// The client's address as `host:port`.
    public var clientAddress: String
    /// The listener the request arrived on (`PLAINTEXT`, ...).
    public var listenerName: String
    /// The connection's logger (node id, client address); `logger` adds the request's metadata when used.
    public var connectionLogger: Logger

    /// A logger carrying node id, client address, API and correlation id as metadata. Built on use, not per request:
    /// swift-log's StreamLogHandler re-renders its metadata string on every change (~5 % of the broker's CPU with
    /// 100 producer connections when the router did it for every request).
    public var logger: Logger {
        get {
            var logger = connectionLogger
            logger[metadataKey: "correlationId"] = "\(header.correlationId)"
            logger[metadataKey: "api"] = "\(apiKey.name) v\(apiVersion)"
            return logger
        }
        set { connectionLogger = newValue }
    }

    public init(
        apiKey: ApiKey, apiVersion: Int16, header: RequestHeader, clientAddress: String, listenerName: String, logger: Logger
    ) {
        self.apiKey = apiKey
        self.apiVersion = apiVersion
        self.header = header
        self.clientAddress = clientAddress
        self.listenerName = listenerName
        self.connectionLogger = logger
    }

    public var correlationId: Int32 { header.correlationId }
    public var clientId: String? { header.clientId }
}

/// What a handler decides to send back.
public enum RequestOutcome: Sendable {
    /// A response body, framed with the header its API and version call for.
    case respond(any KafkaResponse)
    /// A response body whose version differs from the request's (ApiVersions answering v0 to a version it does not know).
    case respondWithVersion(any KafkaResponse, Int16)
    /// A response whose `records` fields hold `FileSlice.placeholder` markers, each laid out while encoding as the
    /// file region its index names, wherever it sits in the response (sendfile: the log bytes never enter user space).
    case respondWithFileSlices(any KafkaResponse, [FileSlice])
    /// Nothing goes back (Produce with acks=0).
    case noResponse
    /// Close the connection (Kafka's reaction to requests it cannot parse).
    case close(reason: String)
}

/// The broker-side logic for one API key. Each handler file serves one key and says which versions it serves.
public protocol ApiHandler: Sendable {
    /// The API key served.
    var apiKey: ApiKey { get }
    /// The versions served (advertised in ApiVersions).
    var versions: ClosedRange<Int16> { get }
    /// Serves one request whose body decoded as `request`.
    func handle(_ request: any KafkaRequest, context: RequestContext) async throws -> RequestOutcome
}

/// A byte range of a segment file, with a descriptor the response writer owns and closes.
public struct FileSlice: Sendable {
    public var descriptor: Int32
    public var position: Int64
    public var length: Int

    /// The placeholder a `records` field holds until the writer lays slice `index` out there while encoding
    /// (`RecordsRegions`); the first few are made once, so a fetch answering many partitions allocates none.
    static func placeholder(_ index: Int) -> ByteBuffer {
        index < preparedPlaceholders.count ? preparedPlaceholders[index] : RecordsRegions.placeholder(index)
    }

    private static let preparedPlaceholders: [ByteBuffer] = (0..<256).map(RecordsRegions.placeholder)
}
