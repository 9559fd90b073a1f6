import class KafkaClient.KafkaClientConnection
import enum KafkaClient.KafkaClientConnectionError
import KafkaMetadata
import NIOCore
import NIOPosix
import Synchronization

/// Connections from this broker to the other brokers, on `inter.broker.listener.name` as each registered it: one
/// `KafkaClientConnection` per broker, replaced when its registered endpoint changes (a restart on another port).
/// Used for what Kafka sends broker to broker outside replication: the transaction verification of KIP-890
/// (AddPartitionsToTxn v4+, verify only) to the coordinator of another broker, and a coordinator's
/// WriteTxnMarkers to the leaders of its transaction's partitions.
final class InterBrokerClients: Sendable {
    private let nodeId: Int32
    private let listenerName: String
    private let group: any EventLoopGroup
    private let requestTimeoutMs: Int64
    private let connections = Mutex<[Int32: KafkaClientConnection]>([:])

    init(nodeId: Int32, listenerName: String, group: any EventLoopGroup, requestTimeoutMs: Int64) {
        self.nodeId = nodeId
        self.listenerName = listenerName
        self.group = group
        self.requestTimeoutMs = requestTimeoutMs
    }

    /// The connection to `broker` as `image` registers it, or nil when it is not registered (or fenced) or has no
    /// endpoint at all.
    func connection(to broker: Int32, in image: MetadataImage) -> KafkaClientConnection? {
        guard let registration = image.brokers[broker], !registration.fenced,
              let endpoint = registration.listeners.first(where: { $0.name == listenerName }) ?? registration.listeners.first
        else { return nil }
        var replaced: KafkaClientConnection?
        let connection = connections.withLock { c -> KafkaClientConnection in
            if let existing = c[broker], existing.host == endpoint.host, existing.port == Int(endpoint.port) { return existing }
            let fresh = KafkaClientConnection(host: endpoint.host, port: Int(endpoint.port), clientId: "broker-\(nodeId)",
                                              group: group, requestTimeoutMs: requestTimeoutMs)
            replaced = c[broker]
            c[broker] = fresh
            return fresh
        }
        replaced?.close()
        return connection
    }

    /// Closes every connection (shutdown).
    func close() {
        let all = connections.withLock { c in
            defer { c = [:] }
            return Array(c.values)
        }
        for c in all { c.close() }
    }
}
