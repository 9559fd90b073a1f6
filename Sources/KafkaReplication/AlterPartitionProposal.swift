import KafkaProtocol

/// One AlterPartition the leader asks the controller for: "at leader epoch L and partition epoch P, the ISR is
/// now I". The driver sends it (to the active controller, with this broker's id and epoch) and hands the answer
/// back as an `AlterPartitionAnswer`.
public struct AlterPartitionProposal: Hashable, Sendable {
    public var leaderEpoch: Int32
    public var partitionEpoch: Int32
    /// The leader included; in the committed ISR's order, a joining member last (Kafka's expansion appends it,
    /// a shrink filters).
    public var newIsr: [Int32]
    /// Each member's broker epoch as its fetches carried it (KIP-903), -1 where unknown.
    public var newIsrBrokerEpochs: [Int64]

    public init(leaderEpoch: Int32, partitionEpoch: Int32, newIsr: [Int32], newIsrBrokerEpochs: [Int64]) {
        self.leaderEpoch = leaderEpoch
        self.partitionEpoch = partitionEpoch
        self.newIsr = newIsr
        self.newIsrBrokerEpochs = newIsrBrokerEpochs
    }
}

/// The controller's answer to an `AlterPartitionProposal`.
public enum AlterPartitionAnswer: Hashable, Sendable {
    /// The partition as the controller now has it.
    case accepted(leaderEpoch: Int32, partitionEpoch: Int32, isr: [Int32])
    case refused(KafkaError)
    /// No answer came (timeout, lost connection, no active controller): the same proposal is sent again.
    case unanswered
}
