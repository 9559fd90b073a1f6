/// The ISR as the leader holds it: the controller's committed set, or that set with one AlterPartition in flight
/// (KIP-497). At most one change is in flight; the next waits for the answer.
public enum IsrState: Hashable, Sendable {
    case committed(isr: [Int32])
    /// Waiting for the controller to add `adding`.
    case pendingExpand(isr: [Int32], adding: Int32, proposal: AlterPartitionProposal)
    /// Waiting for the controller to remove `removing`.
    case pendingShrink(isr: [Int32], removing: [Int32], proposal: AlterPartitionProposal)

    /// The committed ISR: what min.insync.replicas is checked against before an append.
    public var isr: [Int32] {
        switch self {
        case .committed(let isr), .pendingExpand(let isr, _, _), .pendingShrink(let isr, _, _): isr
        }
    }

    /// The largest set the ISR may be, committed or about to be: the high watermark waits for all of it, since
    /// an expansion may already be committed at the controller and a shrink may not yet be (Kafka's
    /// `maximalIsr`). Otherwise a replica elected from the new ISR could lack records acknowledged as written.
    public var maximalIsr: [Int32] {
        switch self {
        case .committed(let isr), .pendingShrink(let isr, _, _): isr
        case .pendingExpand(let isr, let adding, _): isr.contains(adding) ? isr : isr + [adding]
        }
    }

    public var proposal: AlterPartitionProposal? {
        switch self {
        case .committed: nil
        case .pendingExpand(_, _, let p), .pendingShrink(_, _, let p): p
        }
    }

    public var isInflight: Bool { proposal != nil }
}
