import NIOCore

/// A request as it arrives: the parsed header and the body bytes, not yet decoded.
public struct RequestFrame: Sendable {
    /// The API, or nil when the key is not one this build knows.
    public var apiKey: ApiKey?
    public var rawApiKey: Int16
    public var apiVersion: Int16
    public var header: RequestHeader
    /// The body, positioned after the header.
    public var body: ByteBuffer

    /// Parses the header of one frame (the bytes after the int32 size prefix).
    ///
    /// The header version follows from the API key and version, which are the first four bytes of every header
    /// version. For an API or version this build does not know, only header v1 is read (key, version,
    /// correlation id, client id) so that the caller can still answer; the body is left unread.
    public init(parsing frame: ByteBuffer) throws {
        var buf = frame
        guard let key: Int16 = buf.getInteger(at: buf.readerIndex),
              let version: Int16 = buf.getInteger(at: buf.readerIndex + 2)
        else { throw ProtocolError.truncated("request header") }
        self.rawApiKey = key
        self.apiVersion = version
        self.apiKey = ApiKey(rawValue: key)
        let headerVersion: Int16
        if let api = apiKey, api.versions.contains(version) {
            headerVersion = api.requestHeaderVersion(version)
        } else {
            headerVersion = 1
        }
        self.header = try RequestHeader(from: &buf, version: headerVersion)
        self.body = buf
    }

    /// Whether this build can decode the body.
    public var isSupported: Bool { apiKey.map { $0.versions.contains(apiVersion) } ?? false }

    /// Decodes the body with the request type of its API.
    ///
    /// Bytes after the body are returned, not refused: Kafka's broker ignores them, and real clients send them
    /// (librdkafka 2.0's Metadata v12 request carries three).
    public func decodeBody() throws -> (message: any KafkaRequest, trailing: ByteBuffer) {
        guard let api = apiKey, api.versions.contains(apiVersion) else {
            throw ProtocolError.unsupportedVersion(message: "API \(rawApiKey)", version: apiVersion)
        }
        var b = body
        let message = try api.requestType.init(from: &b, version: apiVersion)
        return (message, b)
    }
}

/// Writing whole frames: the int32 size prefix, the header, the body.
public enum KafkaFrame {
    /// Encodes a request frame with the header version its API and version call for.
    public static func encodeRequest<R: KafkaRequest>(
        _ request: R, version: Int16, correlationId: Int32, clientId: String?, into buffer: inout ByteBuffer
    ) throws {
        guard let api = ApiKey(rawValue: R.apiKey) else { throw ProtocolError.invalid("unknown API key \(R.apiKey)") }
        try writeSized(into: &buffer) { b in
            var header = RequestHeader()
            header.requestApiKey = R.apiKey
            header.requestApiVersion = version
            header.correlationId = correlationId
            header.clientId = clientId
            try header.encode(into: &b, version: api.requestHeaderVersion(version))
            try request.encode(into: &b, version: version)
        }
    }

    /// Encodes a response frame with the header version its API and version call for.
    public static func encodeResponse(
        _ response: any KafkaResponse, apiKey: ApiKey, version: Int16, correlationId: Int32, into buffer: inout ByteBuffer
    ) throws {
        try writeSized(into: &buffer) { b in
            var header = ResponseHeader()
            header.correlationId = correlationId
            try header.encode(into: &b, version: apiKey.responseHeaderVersion(version))
            try response.encode(into: &b, version: version)
        }
    }

    /// Encodes a response frame whose `records` fields may hold placeholders naming `regions`: each is laid out in
    /// place (`RecordsRegions`), and the frame's size prefix counts the regions' bytes, which the caller sends at
    /// the marks the regions record.
    public static func encodeResponse(
        _ response: any KafkaResponse, apiKey: ApiKey, version: Int16, correlationId: Int32, into buffer: inout ByteBuffer,
        regions: inout RecordsRegions
    ) throws {
        let sizeIndex = buffer.writerIndex
        buffer.writeInteger(Int32(0))
        var header = ResponseHeader()
        header.correlationId = correlationId
        try header.encode(into: &buffer, version: apiKey.responseHeaderVersion(version))
        try response.encode(into: &buffer, version: version, regions: &regions)
        buffer.setInteger(Int32(buffer.writerIndex - sizeIndex - 4 + regions.addedBytes), at: sizeIndex)
    }

    /// Writes an int32 size placeholder, the body, then patches the size.
    public static func writeSized(into buffer: inout ByteBuffer, _ body: (inout ByteBuffer) throws -> Void) rethrows {
        let sizeIndex = buffer.writerIndex
        buffer.writeInteger(Int32(0))
        try body(&buffer)
        buffer.setInteger(Int32(buffer.writerIndex - sizeIndex - 4), at: sizeIndex)
    }
}
