import NIOCore

/// A response read by a client: the header and the decoded body.
public struct ResponseFrame: Sendable {
    public var header: ResponseHeader
    public var body: any KafkaResponse
    /// The version the body was read with. Differs from the request's version only for ApiVersions, when the
    /// broker did not know the version asked for and answered in version 0 (see `ApiVersionsResponse`).
    public var bodyVersion: Int16
    /// Bytes after the body (Kafka's clients ignore them).
    public var trailing: ByteBuffer

    /// Parses one response frame (the bytes after the size prefix) to a request of `apiKey` at `version`.
    public init(parsing frame: ByteBuffer, apiKey: ApiKey, version: Int16) throws {
        var b = frame
        header = try ResponseHeader(from: &b, version: apiKey.responseHeaderVersion(version))
        if apiKey == .apiVersions {
            (body, bodyVersion) = try ApiVersionsResponse.decodeWithFallback(from: &b, version: version)
        } else {
            body = try apiKey.responseType.init(from: &b, version: version)
            bodyVersion = version
        }
        trailing = b
    }
}

extension ApiVersionsResponse {
    /// Reads an ApiVersions response as Kafka's clients do: with the version that was asked for, and if that fails,
    /// as version 0 — a broker that does not know the requested version answers with a v0 body carrying
    /// UNSUPPORTED_VERSION and its own ranges (KIP-511).
    public static func decodeWithFallback(from buffer: inout ByteBuffer, version: Int16) throws -> (Self, Int16) {
        let start = buffer
        do {
            return (try Self(from: &buffer, version: version), version)
        } catch where version != 0 {
            buffer = start
            return (try Self(from: &buffer, version: 0), 0)
        }
    }
}
