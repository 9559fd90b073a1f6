/// Parses `controller.quorum.voters`: comma-separated `id@host:port` entries, as Kafka's
/// `QuorumConfig.parseVoterConnections` accepts them (an IPv6 host in brackets, e.g. `1@[::1]:9093`).
public enum QuorumVotersParser {
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case malformedEntry(String)
        case duplicateId(Int32)
        case empty

        public var description: String {
            switch self {
            case .malformedEntry(let e): return "controller.quorum.voters entry '\(e)' is not id@host:port"
            case .duplicateId(let id): return "controller.quorum.voters names voter \(id) twice"
            case .empty: return "controller.quorum.voters is empty"
            }
        }
    }

    public static func parse(_ text: String) throws -> [QuorumVoter] {
        var voters: [QuorumVoter] = []
        var seen = Set<Int32>()
        for raw in text.split(separator: ",") {
            let entry = raw.trimmingWhitespace()
            guard !entry.isEmpty else { continue }
            guard let at = entry.firstIndex(of: "@"), let id = Int32(entry[..<at]), id >= 0 else {
                throw ParseError.malformedEntry(entry)
            }
            let address = entry[entry.index(after: at)...]
            guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
                  (0...65535).contains(port) else { throw ParseError.malformedEntry(entry) }
            var host = String(address[..<colon])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { throw ParseError.malformedEntry(entry) }
            guard seen.insert(id).inserted else { throw ParseError.duplicateId(id) }
            voters.append(QuorumVoter(id: id, host: host, port: port))
        }
        guard !voters.isEmpty else { throw ParseError.empty }
        return voters
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
