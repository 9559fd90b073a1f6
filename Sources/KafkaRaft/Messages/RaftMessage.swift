import KafkaProtocol
import NIOCore

/// A message between quorum members with the correlation id that pairs a response with its request (Kafka's
/// raft client keeps one request in flight per destination and drops responses it no longer expects).
public struct RaftEnvelope: Hashable, Sendable {
    public var correlationId: Int32
    public var message: RaftMessage

    public init(correlationId: Int32, message: RaftMessage) {
        self.correlationId = correlationId
        self.message = message
    }
}

/// The raft RPCs of KIP-595 (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch) and KIP-630 (FetchSnapshot), as the
/// core uses them. `Conversions/` maps each to and from the generated wire types.
public enum RaftMessage: Hashable, Sendable {
    case voteRequest(VoteRequestData)
    case voteResponse(VoteResponseData)
    case beginQuorumEpochRequest(BeginQuorumEpochRequestData)
    case beginQuorumEpochResponse(QuorumEpochResponseData)
    case endQuorumEpochRequest(EndQuorumEpochRequestData)
    case endQuorumEpochResponse(QuorumEpochResponseData)
    case fetchRequest(FetchRequestData)
    case fetchResponse(FetchResponseData)
    case fetchSnapshotRequest(FetchSnapshotRequestData)
    case fetchSnapshotResponse(FetchSnapshotResponseData)

    public var isRequest: Bool {
        switch self {
        case .voteRequest, .beginQuorumEpochRequest, .endQuorumEpochRequest, .fetchRequest, .fetchSnapshotRequest: return true
        default: return false
        }
    }
}

/// A candidate asks for a vote (KIP-595 Vote).
public struct VoteRequestData: Hashable, Sendable {
    public var clusterId: String?
    public var candidateEpoch: Int32
    public var candidateId: Int32
    /// The candidate's log end and its last epoch.
    public var lastOffsetEpoch: Int32
    public var lastOffset: Int64

    public init(clusterId: String?, candidateEpoch: Int32, candidateId: Int32, lastOffsetEpoch: Int32, lastOffset: Int64) {
        self.clusterId = clusterId
        self.candidateEpoch = candidateEpoch
        self.candidateId = candidateId
        self.lastOffsetEpoch = lastOffsetEpoch
        self.lastOffset = lastOffset
    }
}

/// The answer to a Vote: top-level error (e.g. INCONSISTENT_CLUSTER_ID), partition error, the responder's
/// view of the leader and epoch, and the vote.
public struct VoteResponseData: Hashable, Sendable {
    public var errorCode: KafkaError
    public var partitionError: KafkaError
    public var leader: LeaderAndEpoch
    public var voteGranted: Bool

    public init(errorCode: KafkaError = .none, partitionError: KafkaError = .none, leader: LeaderAndEpoch, voteGranted: Bool) {
        self.errorCode = errorCode
        self.partitionError = partitionError
        self.leader = leader
        self.voteGranted = voteGranted
    }
}

/// A new leader announces itself to the voters.
public struct BeginQuorumEpochRequestData: Hashable, Sendable {
    public var clusterId: String?
    public var leaderId: Int32
    public var leaderEpoch: Int32

    public init(clusterId: String?, leaderId: Int32, leaderEpoch: Int32) {
        self.clusterId = clusterId
        self.leaderId = leaderId
        self.leaderEpoch = leaderEpoch
    }
}

/// A resigning leader tells the voters, naming its preferred successors (most caught up first).
public struct EndQuorumEpochRequestData: Hashable, Sendable {
    public var clusterId: String?
    public var leaderId: Int32
    public var leaderEpoch: Int32
    public var preferredSuccessors: [Int32]

    public init(clusterId: String?, leaderId: Int32, leaderEpoch: Int32, preferredSuccessors: [Int32]) {
        self.clusterId = clusterId
        self.leaderId = leaderId
        self.leaderEpoch = leaderEpoch
        self.preferredSuccessors = preferredSuccessors
    }
}

/// The answer to BeginQuorumEpoch and EndQuorumEpoch (same shape on the wire).
public struct QuorumEpochResponseData: Hashable, Sendable {
    public var errorCode: KafkaError
    public var partitionError: KafkaError
    public var leader: LeaderAndEpoch

    public init(errorCode: KafkaError = .none, partitionError: KafkaError = .none, leader: LeaderAndEpoch) {
        self.errorCode = errorCode
        self.partitionError = partitionError
        self.leader = leader
    }
}

/// A follower or observer pulls the log (KIP-595 Fetch of `__cluster_metadata-0`).
public struct FetchRequestData: Hashable, Sendable {
    public var clusterId: String?
    public var replicaId: Int32
    public var maxWaitMs: Int32
    public var maxBytes: Int32
    public var currentLeaderEpoch: Int32
    public var fetchOffset: Int64
    public var lastFetchedEpoch: Int32

    public init(clusterId: String?, replicaId: Int32, maxWaitMs: Int32, maxBytes: Int32, currentLeaderEpoch: Int32,
                fetchOffset: Int64, lastFetchedEpoch: Int32) {
        self.clusterId = clusterId
        self.replicaId = replicaId
        self.maxWaitMs = maxWaitMs
        self.maxBytes = maxBytes
        self.currentLeaderEpoch = currentLeaderEpoch
        self.fetchOffset = fetchOffset
        self.lastFetchedEpoch = lastFetchedEpoch
    }
}

/// The leader's answer to a Fetch: records, or where the fetcher's log diverges, or the snapshot to load.
public struct FetchResponseData: Hashable, Sendable {
    public var errorCode: KafkaError
    public var partitionError: KafkaError
    public var highWatermark: Int64
    public var logStartOffset: Int64
    /// Set when the fetcher's log diverges: the largest epoch at most its last fetched epoch and that epoch's end.
    public var divergingEpoch: OffsetAndEpoch?
    public var currentLeader: LeaderAndEpoch
    /// Set when the fetch offset is behind the log start: load this snapshot with FetchSnapshot.
    public var snapshotId: SnapshotId?
    public var records: [LogBatch]

    public init(errorCode: KafkaError = .none, partitionError: KafkaError = .none, highWatermark: Int64 = -1,
                logStartOffset: Int64 = -1, divergingEpoch: OffsetAndEpoch? = nil, currentLeader: LeaderAndEpoch,
                snapshotId: SnapshotId? = nil, records: [LogBatch] = []) {
        self.errorCode = errorCode
        self.partitionError = partitionError
        self.highWatermark = highWatermark
        self.logStartOffset = logStartOffset
        self.divergingEpoch = divergingEpoch
        self.currentLeader = currentLeader
        self.snapshotId = snapshotId
        self.records = records
    }
}

/// A follower pulls a chunk of a snapshot (KIP-630 FetchSnapshot).
public struct FetchSnapshotRequestData: Hashable, Sendable {
    public var clusterId: String?
    public var replicaId: Int32
    public var maxBytes: Int32
    public var currentLeaderEpoch: Int32
    public var snapshotId: SnapshotId
    public var position: Int64

    public init(clusterId: String?, replicaId: Int32, maxBytes: Int32, currentLeaderEpoch: Int32, snapshotId: SnapshotId, position: Int64) {
        self.clusterId = clusterId
        self.replicaId = replicaId
        self.maxBytes = maxBytes
        self.currentLeaderEpoch = currentLeaderEpoch
        self.snapshotId = snapshotId
        self.position = position
    }
}

/// A chunk of a snapshot: `bytes` from `position` of a file of `size` bytes.
public struct FetchSnapshotResponseData: Hashable, Sendable {
    public var errorCode: KafkaError
    public var partitionError: KafkaError
    public var snapshotId: SnapshotId
    public var currentLeader: LeaderAndEpoch
    public var size: Int64
    public var position: Int64
    public var bytes: ByteBuffer

    public init(errorCode: KafkaError = .none, partitionError: KafkaError = .none, snapshotId: SnapshotId,
                currentLeader: LeaderAndEpoch, size: Int64 = 0, position: Int64 = 0, bytes: ByteBuffer = ByteBuffer()) {
        self.errorCode = errorCode
        self.partitionError = partitionError
        self.snapshotId = snapshotId
        self.currentLeader = currentLeader
        self.size = size
        self.position = position
        self.bytes = bytes
    }
}
