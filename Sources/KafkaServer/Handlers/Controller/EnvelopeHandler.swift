import KafkaProtocol
import NIOCore

/// Envelope (key 58), version 0, on the controller listener (KIP-590): a broker forwards a client's admin request
/// with the client's principal and address; the controller serves the embedded request (header and body, no size
/// prefix) with its own handlers and answers with the embedded response (header and body) inside the envelope.
/// An embedded request that does not parse, is itself an Envelope, or names an API this listener does not serve
/// gets the envelope error INVALID_REQUEST (UNSUPPORTED_VERSION for a version it does not serve).
/// Leaves out: the principal (no authorizer yet; it is read past, not checked) and CLUSTER_ACTION on the sender.
struct EnvelopeHandler: ApiHandler {
    let apiKey = ApiKey.envelope
    let versions: ClosedRange<Int16> = 0...0
    /// The controller listener's router, for the embedded request.
    let router: RouterBox

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        guard let envelope = request as? EnvelopeRequest else { return .close(reason: "not an Envelope request") }
        let frame: RequestFrame
        do {
            frame = try RequestFrame(parsing: envelope.requestData)
        } catch {
            return Self.refuse(.invalidRequest)
        }
        guard let api = frame.apiKey, api != .envelope, let router = router.router, let handler = router.handlers[api] else {
            return Self.refuse(.invalidRequest)
        }
        guard handler.versions.contains(frame.apiVersion) else { return Self.refuse(.unsupportedVersion) }
        let client = Self.address(envelope.clientHostAddress) ?? rc.clientAddress
        let outcome = await router.route(frame, clientAddress: client, listenerName: rc.listenerName, logger: rc.connectionLogger)
        guard case .respond(let inner) = outcome else { return Self.refuse(.invalidRequest) }
        var framed = ByteBuffer()
        try KafkaFrame.encodeResponse(inner, apiKey: api, version: frame.apiVersion, correlationId: frame.header.correlationId, into: &framed)
        var response = EnvelopeResponse()
        response.responseData = framed.getSlice(at: framed.readerIndex + 4, length: framed.readableBytes - 4)
        return .respond(response)
    }

    static func refuse(_ error: KafkaError) -> RequestOutcome {
        var response = EnvelopeResponse()
        response.errorCode = error.code
        return .respond(response)
    }

    /// The client's IPv4 or IPv6 address as Kafka sends it (the raw 4 or 16 bytes), printed.
    static func address(_ bytes: ByteBuffer) -> String? {
        guard let raw = bytes.getBytes(at: bytes.readerIndex, length: bytes.readableBytes) else { return nil }
        switch raw.count {
        case 4: return raw.map(String.init).joined(separator: ".")
        case 16:
            return stride(from: 0, to: 16, by: 2).map { String(UInt16(raw[$0]) << 8 | UInt16(raw[$0 + 1]), radix: 16) }.joined(separator: ":")
        default: return nil
        }
    }
}
