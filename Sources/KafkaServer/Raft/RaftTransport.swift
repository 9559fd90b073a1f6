import KafkaRaft
import NIOCore

/// The outbound side of a raft node: one `RaftPeerClient` per other voter of `controller.quorum.voters`.
/// Responses to requests that arrive on this node's controller listener do not go through here (they are the
/// answers of `RaftControllerHandlers`).
final class RaftTransport: Sendable {
    private let peers: [Int32: RaftPeerClient]
    private let deliver: @Sendable (RaftEvent) -> Void

    init(config: RaftConfig, group: any EventLoopGroup, deliver: @escaping @Sendable (RaftEvent) -> Void) {
        var peers: [Int32: RaftPeerClient] = [:]
        for voter in config.voters.values where voter.id != config.nodeId {
            peers[voter.id] = RaftPeerClient(localId: config.nodeId, peer: voter, group: group,
                                             requestTimeoutMs: config.requestTimeoutMs, deliver: deliver)
        }
        self.peers = peers
        self.deliver = deliver
    }

    /// Sends a request to a voter (anyone else cannot be reached: the request fails at once).
    func send(to id: Int32, _ envelope: RaftEnvelope) {
        guard let peer = peers[id] else {
            deliver(.requestFailed(to: id, correlationId: envelope.correlationId))
            return
        }
        peer.send(envelope)
    }

    func close() {
        for peer in peers.values { peer.close() }
    }
}
