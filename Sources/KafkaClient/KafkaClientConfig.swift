/// A broker address as the bootstrap list and Metadata give it.
public struct BrokerAddress: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Parses Kafka's `bootstrap.servers` form: `host:port` entries separated by commas, blanks ignored, IPv6 hosts
    /// in brackets (`[::1]:9092`).
    public static func parseList(_ list: String) throws -> [BrokerAddress] {
        let entries = list.split(separator: ",").map { $0.trimmedSpaces }.filter { !$0.isEmpty }
        guard !entries.isEmpty else { throw KafkaClientError.invalidConfig("bootstrap.servers is empty") }
        return try entries.map { entry in
            guard let colon = entry.lastIndex(of: ":"), let port = Int(entry[entry.index(after: colon)...]),
                  (1...65535).contains(port) else {
                throw KafkaClientError.invalidConfig("Invalid url in bootstrap.servers: \(entry)")
            }
            var host = String(entry[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { throw KafkaClientError.invalidConfig("Invalid url in bootstrap.servers: \(entry)") }
            return BrokerAddress(host: host, port: port)
        }
    }
}

/// Settings shared by the producer, consumer and admin client; names and defaults are the Java client's.
public struct KafkaClientConfig: Sendable {
    /// `bootstrap.servers`: where the first Metadata request goes.
    public var bootstrapServers: [BrokerAddress]
    /// `client.id`, sent in every request header.
    public var clientId: String
    /// `request.timeout.ms` (30000): a request without a response by then fails and its connection closes.
    public var requestTimeoutMs: Int64
    /// `retry.backoff.ms` (100): the first wait before retrying a retriable error.
    public var retryBackoffMs: Int64
    /// `retry.backoff.max.ms` (1000): the cap of the exponential retry backoff (KIP-580).
    public var retryBackoffMaxMs: Int64
    /// `default.api.timeout.ms` (60000): how long an operation may keep retrying before it fails.
    public var defaultApiTimeoutMs: Int64
    /// `metadata.max.age.ms` (300000): cached metadata older than this is refreshed before use.
    public var metadataMaxAgeMs: Int64

    public init(
        bootstrapServers: [BrokerAddress], clientId: String = "tributary-client", requestTimeoutMs: Int64 = 30_000,
        retryBackoffMs: Int64 = 100, retryBackoffMaxMs: Int64 = 1000, defaultApiTimeoutMs: Int64 = 60_000,
        metadataMaxAgeMs: Int64 = 300_000
    ) {
        self.bootstrapServers = bootstrapServers
        self.clientId = clientId
        self.requestTimeoutMs = requestTimeoutMs
        self.retryBackoffMs = retryBackoffMs
        self.retryBackoffMaxMs = retryBackoffMaxMs
        self.defaultApiTimeoutMs = defaultApiTimeoutMs
        self.metadataMaxAgeMs = metadataMaxAgeMs
    }

    /// A configuration from a `bootstrap.servers` string (`host:port,host:port`).
    public init(bootstrap: String, clientId: String = "tributary-client") throws {
        self.init(bootstrapServers: try BrokerAddress.parseList(bootstrap), clientId: clientId)
    }
}

extension StringProtocol {
    /// The string without leading and trailing spaces and tabs.
    var trimmedSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
