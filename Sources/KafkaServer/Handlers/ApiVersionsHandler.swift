import KafkaProtocol

/// ApiVersions (key 18), versions 0-4.
///
/// Advertises exactly the handlers the broker registered, with their served ranges. A version this broker does not
/// know is answered by the router with a v0 response carrying UNSUPPORTED_VERSION (KIP-511). Leaves out: feature
/// negotiation beyond metadata.version (SupportedFeatures/FinalizedFeatures list only what the broker knows).
struct ApiVersionsHandler: ApiHandler {
    let apiKey = ApiKey.apiVersions
    let versions: ClosedRange<Int16> = 0...4
    /// Filled in after all handlers are registered, since the answer lists them all.
    let advertised: @Sendable () -> [(ApiKey, ClosedRange<Int16>)]

    func handle(_ request: any KafkaRequest, context: RequestContext) async throws -> RequestOutcome {
        var response = ApiVersionsResponse()
        response.apiKeys = advertised().map { RequestRouter.entry($0.0, $0.1) }
        return .respond(response)
    }
}
