import NIOCore

/// The roles of KIP-595. `voted` is an unattached voter that has voted in its epoch.
public enum RaftRoleName: String, Hashable, Sendable {
    case unattached, voted, candidate, leader, follower, resigned
}

/// A replica's progress as the leader sees it (for the high watermark and DescribeQuorum).
public struct ReplicaProgress: Hashable, Sendable {
    public var endOffset: Int64?
    public var lastFetchMs: Int64?
    public var lastCaughtUpMs: Int64?
    /// The high watermark of the last Fetch response this replica was sent: a long poll parks against it, so a
    /// replica that has not heard of the current one is answered at once.
    public var highWatermarkSent: Int64?
}

struct UnattachedState: Hashable, Sendable {
    var electionDeadline: Int64
}

struct CandidateState: Hashable, Sendable {
    var granted: Set<Int32>
    var rejected: Set<Int32>
    var retries: Int
    var electionDeadline: Int64
    var backoffUntil: Int64?
}

struct ParkedFetch: Hashable, Sendable {
    var correlationId: Int32
    var request: FetchRequestData
    var deadline: Int64
    var highWatermarkWhenParked: Int64?
}

struct PendingBatch: Hashable, Sendable {
    var records: [ByteBuffer] = []
    var bytes = 0
    var deadline: Int64? = nil
}

struct LeaderState: Hashable, Sendable {
    /// The offset of this epoch's LeaderChangeMessage: the high watermark must pass it (KIP-595).
    var epochStartOffset: Int64
    var highWatermark: Int64?
    var voters: [Int32: ReplicaProgress]
    var observers: [Int32: ReplicaProgress] = [:]
    var grantingVoters: Set<Int32>
    var beginAcked: Set<Int32>
    var parked: [Int32: ParkedFetch] = [:]
    var checkQuorumDeadline: Int64
    var fetchedSinceCheck: Set<Int32> = []
    var pending = PendingBatch()

    /// A voter's or an observer's progress.
    func progress(of id: Int32) -> ReplicaProgress? { voters[id] ?? observers[id] }

    /// Changes the progress of a known voter or observer; an unknown id is left out.
    mutating func updateProgress(of id: Int32, _ change: (inout ReplicaProgress) -> Void) {
        if voters[id] != nil {
            change(&voters[id, default: ReplicaProgress()])
        } else if observers[id] != nil {
            change(&observers[id, default: ReplicaProgress()])
        }
    }
}

struct SnapshotDownload: Hashable, Sendable {
    var id: SnapshotId
    var bytes = ByteBuffer()
}

struct FollowerState: Hashable, Sendable {
    var leaderId: Int32
    var fetchDeadline: Int64
    /// The leader's high watermark from its last successful Fetch response in this epoch.
    var leaderHighWatermark: Int64?
    var download: SnapshotDownload?
}

struct ResignedState: Hashable, Sendable {
    var electionDeadline: Int64
    var unacked: Set<Int32>
    var preferredSuccessors: [Int32]
}

enum Role: Hashable, Sendable {
    case unattached(UnattachedState)
    case candidate(CandidateState)
    case leader(LeaderState)
    case follower(FollowerState)
    case resigned(ResignedState)
}
