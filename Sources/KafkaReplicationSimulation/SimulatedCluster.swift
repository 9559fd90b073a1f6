import KafkaProtocol
import KafkaReplication
import KafkaStorage

/// One record of the simulated partition: a unique value and the leader epoch it was appended in.
struct SimRecord: Equatable {
    var value: Int64
    var epoch: Int32
}

/// Who sends and receives in the simulation.
enum Endpoint: Hashable, CustomStringConvertible {
    case node(Int32)
    case controller
    case producer

    var description: String {
        switch self {
        case .node(let id): "node \(id)"
        case .controller: "controller"
        case .producer: "producer"
        }
    }
}

/// What travels between endpoints: the fields of Kafka's RPCs that replication reads.
enum Message {
    case fetch(replicaId: Int32, brokerEpoch: Int64, currentLeaderEpoch: Int32, fetchOffset: Int64, lastFetchedEpoch: Int32,
               requestId: Int64)
    /// The answer names its request: a follower applies only the answer to its latest fetch. Kafka's fetcher
    /// has one fetch in flight per leader and drops the connection (and any late answer) on a timeout; matching
    /// the fetch offset alone is not enough (found by seed 564: truncated to 30, refetched to 31, then a late
    /// "diverging" answer to an earlier fetch at 31 cut a fresh record again).
    case fetchAnswer(leaderEpoch: Int32, fetchOffset: Int64, requestId: Int64, FetchAnswer)
    case produce(id: Int64, value: Int64)
    case produceAnswer(id: Int64, error: KafkaError, offset: Int64, leaderHint: Int32)
    case alterPartition(brokerId: Int32, brokerEpoch: Int64, AlterPartitionProposal)
    case alterPartitionAnswer(AlterPartitionProposal, AlterPartitionAnswer)
    case heartbeat(brokerId: Int32, brokerEpoch: Int64)
    case register(brokerId: Int32)
    /// The registration's epoch, and the partition as of it (a broker catches up with the metadata log before
    /// it acts on it, so it never acts on leadership its previous incarnation lost).
    case registered(brokerEpoch: Int64, PartitionTerm, ineligible: Set<Int32>)
    case metadata(PartitionTerm, ineligible: Set<Int32>)
}

enum FetchAnswer {
    case error(KafkaError)
    case diverging(EpochEndOffset, highWatermark: Int64)
    case records(from: Int64, [SimRecord], highWatermark: Int64)
}

/// One broker: its log (offset = index), epoch history, high watermark and role.
struct SimNode {
    var alive = true
    var incarnation = 0
    /// -1 until the controller accepts this incarnation's registration.
    var brokerEpoch: Int64 = -1
    var log: [SimRecord] = []
    var epochs = LeaderEpochCache()
    var highWatermark = FollowerHighWatermark(0)
    /// What survives a crash that loses unflushed writes.
    var flushedEnd: Int64 = 0
    var flushedHighWatermark: Int64 = 0
    var term: PartitionTerm?
    var leader: LeaderReplicationState?
    var pendingAcks = PendingAcks<Int64>()
    /// Produce id -> the offset it was appended at.
    var pendingOffsets: [Int64: Int64] = [:]
    /// When the outstanding fetch was sent; nil when none is.
    var fetchSentAt: Int64?
    /// The id of the latest fetch sent; only its answer is applied.
    var fetchRequestId: Int64 = 0
    /// When the AlterPartition in flight was last sent.
    var alterSentAt: Int64 = 0
    var pausedUntil: Int64 = 0

    var logEndOffset: Int64 { Int64(log.count) }

    func endOffset(forEpoch epoch: Int32) -> EpochEndOffset? {
        epochs.endOffset(for: epoch, logEndOffset: logEndOffset).map { EpochEndOffset(epoch: $0.epoch, endOffset: $0.endOffset) }
    }

    mutating func append(_ r: SimRecord) {
        if epochs.latestEpoch != r.epoch { _ = epochs.assign(epoch: r.epoch, startOffset: logEndOffset) }
        log.append(r)
    }

    mutating func truncate(to offset: Int64) {
        // The epoch history is cut even when no record is: a node that led an epoch without appending in it holds
        // an entry at its log end that the new leader does not know (Kafka's truncateTo does the same).
        _ = epochs.truncateFromEnd(offset)
        guard offset < logEndOffset else { return }
        log.removeLast(log.count - Int(offset))
        highWatermark.truncated(to: offset)
        flushedEnd = min(flushedEnd, offset)
    }
}

/// The active controller, reduced to what replication needs of it: broker sessions and epochs, the partition's
/// registration, AlterPartition validation, and election from the ISR when a leader is fenced. (The quorum that
/// makes it fault tolerant has its own simulation; here it is always up, on the majority side of any partition.)
struct SimController {
    struct Broker {
        var epoch: Int64
        var fenced: Bool
        var lastHeartbeat: Int64
    }

    var term: PartitionTerm
    var brokers: [Int32: Broker] = [:]
    var nextBrokerEpoch: Int64 = 1
    /// Leader epoch -> leader, for the one-leader-per-epoch check.
    var leaders: [Int32: Int32] = [:]

    var ineligible: Set<Int32> { Set(brokers.filter { $0.value.fenced }.keys).union(term.replicas.filter { brokers[$0] == nil }) }
}
