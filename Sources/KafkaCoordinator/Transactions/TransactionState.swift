/// Kafka's transaction states, with the ids written in `TransactionLogValue.transactionStatus` and the names
/// DescribeTransactions/ListTransactions report.
///
/// `PrepareEpochFence` (7) is never written: Kafka holds it in memory while it fences an ongoing transaction and
/// writes `PrepareAbort` with the bumped epoch. This shard fences in one step, so it never holds it either; the
/// case exists so a record carrying it can be read.
public enum TransactionState: Int8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case empty = 0
    case ongoing = 1
    case prepareCommit = 2
    case prepareAbort = 3
    case completeCommit = 4
    case completeAbort = 5
    case dead = 6
    case prepareEpochFence = 7

    /// The name Kafka's admin APIs use.
    public var name: String {
        switch self {
        case .empty: return "Empty"
        case .ongoing: return "Ongoing"
        case .prepareCommit: return "PrepareCommit"
        case .prepareAbort: return "PrepareAbort"
        case .completeCommit: return "CompleteCommit"
        case .completeAbort: return "CompleteAbort"
        case .dead: return "Dead"
        case .prepareEpochFence: return "PrepareEpochFence"
        }
    }

    public var description: String { name }

    /// The state named `name` (ListTransactions state filters), if any.
    public init?(name: String) {
        guard let s = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = s
    }

    /// States from which this one may be entered (Kafka's `validPreviousStates`); replay checks nothing, the
    /// shard checks this before it writes, so a bug shows as a refused transition rather than a corrupt log.
    var validPreviousStates: Set<TransactionState> {
        switch self {
        case .empty: return [.empty, .completeCommit, .completeAbort]
        case .ongoing: return [.ongoing, .empty, .completeCommit, .completeAbort]
        case .prepareCommit: return [.ongoing]
        case .prepareAbort: return [.ongoing, .prepareEpochFence]
        case .completeCommit: return [.prepareCommit]
        case .completeAbort: return [.prepareAbort]
        case .dead: return [.empty, .completeCommit, .completeAbort]
        case .prepareEpochFence: return [.ongoing]
        }
    }

    /// A transaction is in progress or being completed (markers pending).
    public var isPrepare: Bool { self == .prepareCommit || self == .prepareAbort }
}

/// The outcome a transaction's markers carry.
public enum TransactionResult: Sendable, Hashable, CustomStringConvertible {
    case commit
    case abort

    public var description: String { self == .commit ? "COMMIT" : "ABORT" }
}

/// A partition a transaction wrote to.
public struct TxnPartition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (a: TxnPartition, b: TxnPartition) -> Bool {
        (a.topic, a.partition) < (b.topic, b.partition)
    }

    public var description: String { "\(topic)-\(partition)" }
}
