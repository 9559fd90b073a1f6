import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The connection limits a broker enforces, from its configuration and the open-file limit it runs with.
struct BrokerConnectionLimits {
    let budget: DescriptorBudget
    /// All client listeners together (everything but the controller listener).
    let clients: ConnectionQuota
    /// The controller listener's own count, so that clients can never starve the quorum's links (Kafka's
    /// controller has a socket server and connection count of its own too). Only `max.connections` and the
    /// descriptor budget apply: the per-address limits guard against one client host, while the controller
    /// listener serves the quorum's own nodes, which on a single-host cluster all come from one address.
    let controller: ConnectionQuota

    /// - Parameters:
    ///   - softFileLimit: the soft RLIMIT_NOFILE (nil: unknown, nothing capped by it).
    ///   - maxOpenSegmentFiles: the log manager's configured cap of open segment files.
    ///   - resolve: the addresses of a host name of `max.connections.per.ip.overrides`.
    init(network: NetworkSettings, overridesOrigin: ConfigOrigin, softFileLimit: Int?, maxOpenSegmentFiles: Int,
         resolve: (String) -> [String] = BrokerConnectionLimits.addresses(of:)) throws {
        budget = DescriptorBudget(softLimit: softFileLimit, maxOpenSegmentFiles: maxOpenSegmentFiles)
        let overrides = try ConnectionQuota.parseOverrides(network.maxConnectionsPerIpOverrides, origin: overridesOrigin)
        let configured = Int(network.maxConnections)
        clients = ConnectionQuota(
            maxConnections: min(configured, budget.clientConnections),
            maxConnectionsPerIp: Int(network.maxConnectionsPerIp),
            perAddress: try ConnectionQuota.perAddressLimits(overrides, origin: overridesOrigin, resolve: resolve))
        controller = ConnectionQuota(maxConnections: min(configured, budget.controllerConnections))
    }

    /// Says at info what the open-file limit lowered: the client limit below `max.connections`, the segment
    /// cache below its configured size.
    func logReductions(network: NetworkSettings, maxOpenSegmentFiles: Int, logger: Logger) {
        if clients.maxConnections < Int(network.maxConnections) {
            logger.info("at most \(clients.maxConnections) client connections are served at once (max.connections is \(network.maxConnections)): of the open-file limit \(budget.softLimit), \(budget.segmentFiles) descriptors are kept for log segment files and \(budget.reserved) for the broker's own files and inter-node connections")
        }
        if budget.segmentFiles < maxOpenSegmentFiles {
            logger.info("open log segment files are capped at \(budget.segmentFiles) (not \(maxOpenSegmentFiles)) to fit the open-file limit \(budget.softLimit)")
        }
    }

    /// Every address of `host` (getaddrinfo; blocking, called once at start-up).
    static func addresses(of host: String) -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(first) }
        var result: [String] = []
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let entry = next {
            var name = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let found = name.withUnsafeMutableBufferPointer { buffer -> String? in
                guard let base = buffer.baseAddress,
                      getnameinfo(entry.pointee.ai_addr, entry.pointee.ai_addrlen, base, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0
                else { return nil }
                return String(cString: base)
            }
            if let found { result.append(found) }
            next = entry.pointee.ai_next
        }
        return result
    }
}
