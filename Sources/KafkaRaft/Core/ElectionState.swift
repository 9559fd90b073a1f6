/// What a node must remember across restarts (KIP-595's persisted election state): its epoch, the leader it
/// knows for that epoch, and the candidate it voted for in that epoch. Written to `quorum-state` on every change,
/// before any message that depends on it is sent.
public struct ElectionState: Hashable, Sendable, CustomStringConvertible {
    public var epoch: Int32
    public var leaderId: Int32?
    public var votedId: Int32?

    public init(epoch: Int32, leaderId: Int32? = nil, votedId: Int32? = nil) {
        self.epoch = epoch
        self.leaderId = leaderId
        self.votedId = votedId
    }

    /// Epoch 0, no leader, no vote: a freshly formatted node.
    public static let initial = ElectionState(epoch: 0)

    public var description: String {
        "epoch \(epoch), leader \(leaderId.map(String.init) ?? "-"), voted \(votedId.map(String.init) ?? "-")"
    }
}
