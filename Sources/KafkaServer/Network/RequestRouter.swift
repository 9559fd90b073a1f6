import KafkaProtocol
import Logging
import NIOCore

/// Routes decoded requests to the handler registered for their API key, and answers the cases no handler sees:
/// unknown keys and versions (KIP-511's ApiVersions fallback) and bodies that do not parse.
public struct RequestRouter: Sendable {
    public let handlers: [ApiKey: any ApiHandler]

    public init(handlers: [any ApiHandler]) {
        var map: [ApiKey: any ApiHandler] = [:]
        for h in handlers { map[h.apiKey] = h }
        self.handlers = map
    }

    /// The ranges advertised in ApiVersions: exactly the registered handlers' versions.
    public var advertisedVersions: [(ApiKey, ClosedRange<Int16>)] {
        handlers.values.map { ($0.apiKey, $0.versions) }.sorted { $0.0.rawValue < $1.0.rawValue }
    }

    public func route(_ frame: RequestFrame, clientAddress: String, listenerName: String, logger connectionLogger: Logger) async -> RequestOutcome {
        // The request's metadata is added only when something is logged (see RequestContext.logger).
        var logger: Logger {
            var logger = connectionLogger
            logger[metadataKey: "correlationId"] = "\(frame.header.correlationId)"
            logger[metadataKey: "api"] = "\(frame.apiKey?.name ?? "key \(frame.rawApiKey)") v\(frame.apiVersion)"
            return logger
        }
        // Bad input closes the connection; the connection's BadConnectionLog reports it (rate-limited).
        guard let api = frame.apiKey, let handler = handlers[api] else {
            return .close(reason: "unknown API key \(frame.rawApiKey)")
        }
        RequestCounts.shared.record(api)
        guard handler.versions.contains(frame.apiVersion) else {
            if api == .apiVersions {
                // KIP-511: a client that asks with a version we do not know gets a v0 answer with our ranges.
                var response = ApiVersionsResponse()
                response.errorCode = KafkaError.unsupportedVersion.code
                response.apiKeys = advertisedVersions.map { Self.entry($0.0, $0.1) }
                return .respondWithVersion(response, 0)
            }
            return .close(reason: "unsupported \(api.name) version \(frame.apiVersion) (served: \(handler.versions.lowerBound)-\(handler.versions.upperBound))")
        }
        let decoded: any KafkaRequest
        do {
            decoded = try frame.decodeBody().message
        } catch {
            return .close(reason: "cannot parse \(api.name) v\(frame.apiVersion) request: \(error)")
        }
        let context = RequestContext(
            apiKey: api, apiVersion: frame.apiVersion, header: frame.header, clientAddress: clientAddress,
            listenerName: listenerName, logger: connectionLogger)
        do {
            return try await handler.handle(decoded, context: context)
        } catch {
            logger.error("handler failed: \(error)")
            return .close(reason: "handler error")
        }
    }

    static func entry(_ key: ApiKey, _ range: ClosedRange<Int16>) -> ApiVersionsResponse.ApiVersion {
        var e = ApiVersionsResponse.ApiVersion()
        e.apiKey = key.rawValue
        e.minVersion = range.lowerBound
        e.maxVersion = range.upperBound
        return e
    }
}
