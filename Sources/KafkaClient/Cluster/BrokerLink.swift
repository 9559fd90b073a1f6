import KafkaProtocol
import NIOCore
import Synchronization

/// One broker connection with the API versions negotiated on it: an ApiVersions request is the first thing sent
/// (KIP-511: the client names itself), and every later request uses the highest version both sides speak.
final class BrokerLink: Sendable {
    /// The broker's node id (-1 … for bootstrap addresses, whose ids are not known yet).
    let nodeId: Int32
    let connection: KafkaClientConnection
    private let table = Mutex<ApiVersionTable?>(nil)

    init(nodeId: Int32, address: BrokerAddress, config: KafkaClientConfig, group: any EventLoopGroup) {
        self.nodeId = nodeId
        connection = KafkaClientConnection(host: address.host, port: address.port, clientId: config.clientId,
                                           group: group, requestTimeoutMs: config.requestTimeoutMs)
    }

    var endpoint: String { connection.endpoint }

    /// The broker's version table, asked for once per link.
    func versions() async throws -> ApiVersionTable {
        if let t = table.withLock({ $0 }) { return t }
        var request = ApiVersionsRequest()
        request.clientSoftwareName = "tributary-kafkaclient"
        request.clientSoftwareVersion = "0.1"
        var version = ApiKey.apiVersions.versions.upperBound
        // A broker that does not know our ApiVersions version answers v0 with UNSUPPORTED_VERSION and its range;
        // ask again with the highest it has (KIP-511).
        for _ in 0..<2 {
            let frame = try await exchange(request, version: version)
            guard let r = frame.body as? ApiVersionsResponse else { throw KafkaClientError.network("\(endpoint): not an ApiVersions response") }
            let t = ApiVersionTable(r)
            if r.errorCode == KafkaError.unsupportedVersion.code, let v = t.usableVersion(.apiVersions, ours: ApiKey.apiVersions.versions), v != version {
                version = v
                continue
            }
            if r.errorCode != 0 {
                throw KafkaClientError.broker(KafkaError(rawValue: r.errorCode) ?? .unknownServerError, message: nil,
                                              broker: nodeId, context: "ApiVersions")
            }
            table.withLock { $0 = t }
            return t
        }
        throw KafkaClientError.unsupportedVersion(api: "ApiVersions", broker: endpoint)
    }

    /// The version of `api` to use with this broker.
    func version(of api: ApiKey) async throws -> Int16 {
        guard let v = try await versions().usableVersion(api, ours: api.clientVersions) else {
            throw KafkaClientError.unsupportedVersion(api: api.name, broker: endpoint)
        }
        return v
    }

    /// Sends the request `build` makes for the negotiated version of `api` and returns its typed response.
    func send<Response: KafkaResponse, Request: KafkaRequest>(
        _ api: ApiKey, as: Response.Type = Response.self, _ build: (Int16) throws -> Request
    ) async throws -> (Response, Int16) {
        let version = try await version(of: api)
        let frame = try await exchange(try build(version), version: version)
        guard let response = frame.body as? Response else {
            throw KafkaClientError.network("\(endpoint) answered \(api.name) with \(type(of: frame.body))")
        }
        return (response, version)
    }

    /// Sends a request the broker does not answer (Produce with acks=0).
    func sendOneWay<Request: KafkaRequest>(_ api: ApiKey, _ build: (Int16) throws -> Request) async throws {
        let version = try await version(of: api)
        do {
            try await connection.sendOneWay(try build(version), version: version)
        } catch let e as KafkaClientConnectionError {
            throw KafkaClientError.network("\(e)")
        }
    }

    private func exchange<Request: KafkaRequest>(_ request: Request, version: Int16) async throws -> ResponseFrame {
        do {
            return try await connection.send(request, version: version)
        } catch let e as KafkaClientConnectionError {
            // A new connection may land on a restarted broker with other versions: negotiate again.
            table.withLock { $0 = nil }
            throw KafkaClientError.network("\(e)")
        }
    }

    func close() { connection.close() }
}
