/// The security protocols a listener can speak (Kafka's `SecurityProtocol`).
public enum SecurityProtocol: String, Sendable, Equatable, CaseIterable {
    case plaintext = "PLAINTEXT"
    case ssl = "SSL"
    case saslPlaintext = "SASL_PLAINTEXT"
    case saslSsl = "SASL_SSL"

    /// True when the protocol wraps the connection in TLS.
    public var usesTLS: Bool { self == .ssl || self == .saslSsl }
    /// True when clients authenticate with SASL.
    public var usesSASL: Bool { self == .saslPlaintext || self == .saslSsl }
}

/// One entry of `listeners` or `advertised.listeners`: `NAME://host:port`.
public struct ListenerEndpoint: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Listener name, upper-cased as Kafka normalises it.
    public var name: String
    /// Nil when the host was left empty (`PLAINTEXT://:9092`): bind every interface; when advertised, Kafka
    /// substitutes the machine's canonical host name.
    public var host: String?
    /// 0 asks the OS for a free port.
    public var port: Int
    /// From `listener.security.protocol.map`.
    public var securityProtocol: SecurityProtocol

    /// An endpoint as parsed from `NAME://host:port`.
    public init(name: String, host: String?, port: Int, securityProtocol: SecurityProtocol) {
        self.name = name
        self.host = host
        self.port = port
        self.securityProtocol = securityProtocol
    }

    /// True for an empty host or a wildcard address.
    public var bindsAllInterfaces: Bool { host == nil || host == "0.0.0.0" || host == "::" }

    /// `NAME://host:port`, with IPv6 hosts in brackets.
    public var description: String {
        "\(name)://\(HostPort.format(host: host ?? "")):\(port)"
    }
}

/// A `host:port` pair (controller bootstrap servers, quorum voters).
public struct HostPort: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// A host name or IP literal (IPv6 without brackets).
    public var host: String
    public var port: Int

    /// A pair as parsed from `host:port`.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { "\(Self.format(host: host)):\(port)" }

    static func format(host: String) -> String { host.contains(":") ? "[\(host)]" : host }

    /// Splits `host:port` or `[v6]:port`; the host may be empty. Nil when there is no valid port.
    static func split(_ text: Substring) -> (host: String, port: Int)? {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard host.allSatisfy(isHostCharacter), let port = Int(portText), (0...65535).contains(port) else { return nil }
        return (String(host), port)
    }

    // Kafka's listener pattern admits letters, digits and - % . _ : in hosts.
    private static func isHostCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || "-%._:".contains(c))
    }

    static func isIPv4Literal(_ host: String) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isNumber) && Int(part)! <= 255
        }
    }

    static func isIPv6Literal(_ host: String) -> Bool {
        host.contains(":") && host.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." || $0 == "%" }
    }
}
