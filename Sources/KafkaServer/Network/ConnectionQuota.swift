#if canImport(Glibc)
import Glibc
#endif

/// The connection limits of a group of listeners: Kafka's `max.connections`, `max.connections.per.ip` and
/// `max.connections.per.ip.overrides`, with the broker-wide limit already lowered to what the open-file limit
/// allows (`DescriptorBudget`).
///
/// Per-listener limits (`listener.name.X.max.connections`) and Kafka's protection of the inter-broker listener
/// (evicting a client connection to make room for a broker's) are not implemented: all client listeners share one
/// count. The controller listener has a count of its own (see `ConnectionLimiter`).
public struct ConnectionQuota: Sendable, Equatable {
    /// Connections allowed at once on all the listeners together; Int.max for no limit.
    public var maxConnections: Int
    /// Connections allowed from one address, unless `perAddress` names it.
    public var maxConnectionsPerIp: Int
    /// Limits of single addresses, keyed by `ConnectionQuota.normalize(_:)`'d address.
    public var perAddress: [String: Int]

    public init(maxConnections: Int = .max, maxConnectionsPerIp: Int = .max, perAddress: [String: Int] = [:]) {
        self.maxConnections = maxConnections
        self.maxConnectionsPerIp = maxConnectionsPerIp
        self.perAddress = perAddress
    }

    /// The limit of connections from `address` (already normalised); nil when it is not known (not an IP
    /// connection), which only the broker-wide limit then counts.
    public func limit(for address: String?) -> Int {
        guard let address else { return .max }
        return perAddress[address] ?? maxConnectionsPerIp
    }

    /// One entry of `max.connections.per.ip.overrides`, as written.
    public struct Override: Sendable, Equatable {
        public var host: String
        public var count: Int
    }

    /// Parses "host:count,host:count" as Kafka does: entries split on commas, each at its last colon (so an IPv6
    /// address may be written bare), both sides trimmed; an empty text is no override; a host listed twice keeps
    /// its last count. The error names the first bad entry.
    public static func parseOverrides(_ text: String, origin: ConfigOrigin = .defaultValue) throws(ConfigError) -> [Override] {
        let trimmed = text.trimmingWhitespace()
        guard !trimmed.isEmpty else { return [] }
        var result: [Override] = []
        for raw in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let entry = String(raw).trimmingWhitespace()
            func bad(_ why: String) -> ConfigError {
                .invalidValue(key: "max.connections.per.ip.overrides", value: text,
                              expected: "entry '\(entry)' \(why); expected host:count,host:count", origin: origin)
            }
            guard let colon = entry.lastIndex(of: ":") else { throw bad("has no ':count'") }
            var host = String(entry[..<colon]).trimmingWhitespace()
            let countText = String(entry[entry.index(after: colon)...]).trimmingWhitespace()
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { throw bad("has no host") }
            guard let count = Int(countText), count >= 0 else { throw bad("has a count that is not a whole number >= 0") }
            result.removeAll { $0.host == host }
            result.append(Override(host: host, count: count))
        }
        return result
    }

    /// The text form of an IP address that the listener compares: `inet_ntop`'s, with an IPv4-mapped IPv6
    /// address (a dual-stack socket's view of an IPv4 client) written as IPv4, as Java's InetAddress does. Nil
    /// when `text` is not an IP address (a host name, to be resolved).
    public static func normalize(_ text: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return inet_ntop(AF_INET, &v4, &buffer, socklen_t(buffer.count)).map { String(cString: $0) }
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        if bytes[0 ..< 10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
            return bytes[12 ..< 16].map(String.init).joined(separator: ".")
        }
        return inet_ntop(AF_INET6, &v6, &buffer, socklen_t(buffer.count)).map { String(cString: $0) }
    }

    /// The per-address limits of `overrides`: IP addresses normalised, host names replaced by every address
    /// `resolve` gives (Kafka resolves them once at start-up too). A name that does not resolve is an error
    /// naming it, as Kafka's start fails on an unknown host.
    public static func perAddressLimits(
        _ overrides: [Override], origin: ConfigOrigin = .defaultValue, resolve: (String) -> [String]
    ) throws(ConfigError) -> [String: Int] {
        var limits: [String: Int] = [:]
        for override in overrides {
            let addresses = normalize(override.host).map { [$0] } ?? resolve(override.host).compactMap(normalize)
            guard !addresses.isEmpty else {
                throw .invalidValue(key: "max.connections.per.ip.overrides", value: "\(override.host):\(override.count)",
                                    expected: "host \(override.host) does not resolve to an IP address", origin: origin)
            }
            for address in addresses { limits[address] = override.count }
        }
        return limits
    }
}

