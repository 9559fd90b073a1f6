/// Parsers for the listener-shaped keys, with Kafka's rules and errors that name the key.
enum ListenerParsing {
    /// Parses `listener.security.protocol.map` (`NAME:PROTOCOL,...`, names and protocols case-insensitive).
    static func protocolMap(_ text: String, key: String, origin: ConfigOrigin) throws -> [String: SecurityProtocol] {
        var map: [String: SecurityProtocol] = [:]
        for item in items(text) {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ConfigError.invalidValue(key: key, value: text, expected: "expected NAME:PROTOCOL,... (found '\(item)')",
                                               origin: origin)
            }
            let protocolName = String(parts[1]).trimmingWhitespace().uppercased()
            guard let securityProtocol = SecurityProtocol(rawValue: protocolName) else {
                let known = SecurityProtocol.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigError.invalidValue(key: key, value: text,
                                               expected: "unknown security protocol '\(parts[1])'; expected one of \(known)",
                                               origin: origin)
            }
            map[String(parts[0]).trimmingWhitespace().uppercased()] = securityProtocol
        }
        return map
    }

    /// Parses a `listeners`-style list. Names must be distinct and mapped to a protocol; with
    /// `requireDistinctPorts`, ports must differ except 0 and one IPv4 plus one IPv6 literal sharing a port.
    static func endpoints(
        _ text: String, key: String, origin: ConfigOrigin, protocols: [String: SecurityProtocol],
        requireDistinctPorts: Bool
    ) throws -> [ListenerEndpoint] {
        func invalid(_ expected: String) -> ConfigError {
            .invalidValue(key: key, value: text, expected: expected, origin: origin)
        }
        var result: [ListenerEndpoint] = []
        for item in items(text) {
            guard let separator = item.firstRange(of: "://"), separator.lowerBound > item.startIndex,
                  let (host, port) = HostPort.split(item[separator.upperBound...])
            else {
                throw invalid("expected NAME://host:port,... such as PLAINTEXT://localhost:9092 (found '\(item)')")
            }
            let name = item[..<separator.lowerBound].uppercased()
            guard let securityProtocol = protocols[name] else {
                throw invalid("no security protocol defined for listener \(name) in listener.security.protocol.map")
            }
            guard !result.contains(where: { $0.name == name }) else {
                throw invalid("each listener must have a different name (\(name) appears twice)")
            }
            result.append(ListenerEndpoint(name: name, host: host.isEmpty ? nil : host, port: port,
                                           securityProtocol: securityProtocol))
        }
        if requireDistinctPorts, let port = conflictingPort(result) {
            throw invalid("each listener must have a different port (\(port) is used more than once)")
        }
        return result
    }

    // Kafka lets exactly two listeners share a port when one binds an IPv4 literal and the other an IPv6 one.
    private static func conflictingPort(_ endpoints: [ListenerEndpoint]) -> Int? {
        let byPort = Dictionary(grouping: endpoints.filter { $0.port != 0 }, by: \.port)
        for (port, group) in byPort.sorted(by: { $0.key < $1.key }) where group.count > 1 {
            let hosts = group.map { $0.host ?? "" }
            let dualStack = hosts.count == 2
                && ((HostPort.isIPv4Literal(hosts[0]) && HostPort.isIPv6Literal(hosts[1]))
                    || (HostPort.isIPv6Literal(hosts[0]) && HostPort.isIPv4Literal(hosts[1])))
            if !dualStack { return port }
        }
        return nil
    }

    /// Parses `controller.quorum.voters`: `id@host:port,...` with distinct non-negative ids.
    static func voters(_ items: [String], key: String, origin: ConfigOrigin) throws -> [QuorumVoter] {
        var voters: [QuorumVoter] = []
        for item in items {
            guard let at = item.firstIndex(of: "@"), let id = Int32(item[..<at]), id >= 0,
                  let (host, port) = HostPort.split(item[item.index(after: at)...]), !host.isEmpty
            else {
                throw ConfigError.invalidValue(key: key, value: items.joined(separator: ","),
                                               expected: "expected id@host:port,... (found '\(item)')", origin: origin)
            }
            guard !voters.contains(where: { $0.id == id }) else {
                throw ConfigError.invalidValue(key: key, value: items.joined(separator: ","),
                                               expected: "voter id \(id) appears more than once", origin: origin)
            }
            voters.append(QuorumVoter(id: id, endpoint: HostPort(host: host, port: port)))
        }
        return voters
    }

    /// Parses `controller.quorum.bootstrap.servers`: `host:port,...`.
    static func hostPorts(_ items: [String], key: String, origin: ConfigOrigin) throws -> [HostPort] {
        try items.map { item in
            guard let (host, port) = HostPort.split(item[...]), !host.isEmpty else {
                throw ConfigError.invalidValue(key: key, value: items.joined(separator: ","),
                                               expected: "expected host:port,... (found '\(item)')", origin: origin)
            }
            return HostPort(host: host, port: port)
        }
    }

    /// Comma-separated items, trimmed, empty ones dropped (Kafka's CSV parsing of listener lists).
    static func items(_ text: String) -> [String] {
        text.split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
    }
}

/// A member of a static controller quorum (`controller.quorum.voters`).
public struct QuorumVoter: Sendable, Equatable, Hashable {
    /// The voter's `node.id`.
    public var id: Int32
    /// Where its controller listener is reached.
    public var endpoint: HostPort

    /// A voter as parsed from `id@host:port`.
    public init(id: Int32, endpoint: HostPort) {
        self.id = id
        self.endpoint = endpoint
    }
}
