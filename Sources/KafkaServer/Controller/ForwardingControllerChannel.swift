import class KafkaClient.KafkaClientConnection
import enum KafkaClient.KafkaClientConnectionError
import KafkaMetadata
import KafkaProtocol
import KafkaRaft
import Logging
import NIOCore
import Synchronization

/// A broker's channel to the active controller in a multi-node quorum (Kafka's `NodeToControllerChannelManager`):
/// a command runs on this node's own controller when that one is active, and otherwise travels as its Kafka RPC to
/// the controller listener of the voter believed active. A node that is not the active controller answers
/// NOT_CONTROLLER; that, a connection failure or a timeout makes the channel forget its guess, wait a backoff and
/// ask the leader this node's Raft node names, else the next voter, until the command's deadline
/// (`request.timeout.ms`) passes. The command then gets REQUEST_TIMED_OUT for every item, as Kafka's forwarding does.
///
/// Each attempt waits at most `controller.quorum.request.timeout.ms` for its response. A command that timed out on
/// one controller may still have been committed there; Kafka has the same ambiguity, and every command here is
/// either idempotent for its sender (registration, heartbeats) or answered with a per-item error on a retry
/// (TOPIC_ALREADY_EXISTS).
public final class ForwardingControllerChannel: ControllerChannel {
    /// The voters' controller listeners, in `controller.quorum.voters` order.
    let voters: [KafkaRaft.QuorumVoter]
    let nodeId: Int32
    let clusterId: String
    /// This node's controller when it is a voter (combined or controller role), else nil.
    let local: MetadataDriver?
    let deadlineMs: Int64
    let logger: Logger
    private let connections: [Int32: KafkaClientConnection]
    private let guess = Mutex<GuessState>(GuessState())

    private struct GuessState {
        var leader: Int32?
        var rotation = 0
    }

    static let backoffMs: Int64 = 50
    static let backoffMaxMs: Int64 = 500

    public init(nodeId: Int32, clusterId: String, voters: [KafkaRaft.QuorumVoter], local: MetadataDriver?,
                group: any EventLoopGroup, attemptTimeoutMs: Int64, deadlineMs: Int64, logger: Logger) {
        self.nodeId = nodeId
        self.clusterId = clusterId
        self.voters = voters
        self.local = local
        self.deadlineMs = deadlineMs
        self.logger = logger
        var connections: [Int32: KafkaClientConnection] = [:]
        for v in voters where v.id != nodeId || local == nil {
            // Kafka's broker-to-controller channel names itself by the node id.
            connections[v.id] = KafkaClientConnection(host: v.host, port: v.port, clientId: "\(nodeId)", group: group,
                                                      requestTimeoutMs: attemptTimeoutMs)
        }
        self.connections = connections
    }

    public func submit(_ command: ControllerCommand) async throws -> ControllerReply {
        try await submit(command, deadlineMs: deadlineMs)
    }

    /// `submit` with its own deadline (a shutdown's last heartbeat waits less than an admin request).
    public func submit(_ command: ControllerCommand, deadlineMs: Int64) async throws -> ControllerReply {
        let deadline = ContinuousClock.now + .milliseconds(deadlineMs)
        var backoff = Self.backoffMs
        var lastFailure = "no controller was asked"
        while true {
            if let local, await local.isActiveController {
                let reply = try await local.submit(command)
                if !reply.isNotController { return reply }
                lastFailure = "this node stopped being the active controller"
            } else if let target = target(), let connection = connections[target] {
                do {
                    let reply = try await command.send(over: connection, clusterId: clusterId)
                    if !reply.isNotController {
                        guess.withLock { $0.leader = target }
                        return reply
                    }
                    lastFailure = "node \(target) is not the active controller"
                } catch {
                    lastFailure = "node \(target): \(error)"
                }
                forget(target)
            }
            if Task.isCancelled || ContinuousClock.now + .milliseconds(backoff) >= deadline {
                logger.debug("\(command.name) not answered by an active controller within \(deadlineMs) ms: \(lastFailure)")
                return .refusing(command, with: ApiError(.requestTimedOut, "No active controller answered within \(deadlineMs) ms (\(lastFailure))."))
            }
            try? await Task.sleep(for: .milliseconds(backoff))
            backoff = min(backoff * 2, Self.backoffMaxMs)
        }
    }

    /// The voter to ask: the leader this node's Raft node knows (never itself: it is not active), else the last
    /// one that answered, else the next voter in turn.
    private func target() -> Int32? {
        if let leader = local?.activeControllerId, leader != nodeId, connections[leader] != nil { return leader }
        return guess.withLock { g -> Int32? in
            if let l = g.leader { return l }
            let candidates = voters.map(\.id).filter { connections[$0] != nil }
            guard !candidates.isEmpty else { return nil }
            let next = candidates[g.rotation % candidates.count]
            g.rotation += 1
            return next
        }
    }

    private func forget(_ target: Int32) {
        guess.withLock { if $0.leader == target { $0.leader = nil } }
    }

    /// Closes the connections to the other controllers.
    public func close() {
        for c in connections.values { c.close() }
    }
}
