import KafkaProtocol

/// Who sent a request: the opaque id the driver uses to route the answer back (JoinGroup and SyncGroup answers
/// may come in the result of a later event), the API version (behaviour differs per version) and the request
/// header's client id and the peer host (JoinGroup stores them on the member).
public struct RequestContext: Sendable, Hashable {
    public var requestId: UInt64
    public var apiVersion: Int16
    public var clientId: String
    public var clientHost: String

    public init(requestId: UInt64, apiVersion: Int16, clientId: String = "", clientHost: String = "") {
        self.requestId = requestId
        self.apiVersion = apiVersion
        self.clientId = clientId
        self.clientHost = clientHost
    }
}

/// An input of the group coordinator shard.
///
/// Multi-group requests (OffsetFetch v8+, DescribeGroups, DeleteGroups) are answered for every group named; the
/// driver splits them per shard first and answers NOT_COORDINATOR for groups no local shard owns.
public enum GroupEvent: Sendable {
    case joinGroup(RequestContext, JoinGroupRequest)
    case syncGroup(RequestContext, SyncGroupRequest)
    case heartbeat(RequestContext, HeartbeatRequest)
    case leaveGroup(RequestContext, LeaveGroupRequest)
    case offsetCommit(RequestContext, OffsetCommitRequest)
    case offsetFetch(RequestContext, OffsetFetchRequest)
    case describeGroups(RequestContext, DescribeGroupsRequest)
    case listGroups(RequestContext, ListGroupsRequest)
    case deleteGroups(RequestContext, DeleteGroupsRequest)
    case offsetDelete(RequestContext, OffsetDeleteRequest)
    /// KIP-848: a consumer group member's heartbeat (joins, leaves and reconciliation all go through it).
    case consumerGroupHeartbeat(RequestContext, ConsumerGroupHeartbeatRequest)
    /// KIP-848: describes consumer groups.
    case consumerGroupDescribe(RequestContext, ConsumerGroupDescribeRequest)
    /// TxnOffsetCommit: offsets committed inside a transaction, pending until its marker (Shard+TxnOffsetCommit).
    case txnOffsetCommit(RequestContext, TxnOffsetCommitRequest)
    /// The COMMIT (`committed`) or ABORT marker of a producer's transaction was written to this shard's partition.
    case transactionCompleted(producerId: Int64, producerEpoch: Int16, committed: Bool)
    /// A timer the shard scheduled has reached its deadline. Stale or cancelled timers are ignored, so the
    /// driver need not be exact about cancellation races.
    case timerFired(TimerKey)
}

/// A response body to send, in the API version of its request.
public enum GroupResponse: Sendable {
    case joinGroup(JoinGroupResponse)
    case syncGroup(SyncGroupResponse)
    case heartbeat(HeartbeatResponse)
    case leaveGroup(LeaveGroupResponse)
    case offsetCommit(OffsetCommitResponse)
    case offsetFetch(OffsetFetchResponse)
    case describeGroups(DescribeGroupsResponse)
    case listGroups(ListGroupsResponse)
    case deleteGroups(DeleteGroupsResponse)
    case offsetDelete(OffsetDeleteResponse)
    case txnOffsetCommit(TxnOffsetCommitResponse)
    case consumerGroupHeartbeat(ConsumerGroupHeartbeatResponse)
    case consumerGroupDescribe(ConsumerGroupDescribeResponse)

    /// The top-level (or, for batched APIs, the first) error code; handy in tests and logs.
    public var errorCode: Int16 {
        switch self {
        case .joinGroup(let r): return r.errorCode
        case .syncGroup(let r): return r.errorCode
        case .heartbeat(let r): return r.errorCode
        case .leaveGroup(let r): return r.errorCode != 0 ? r.errorCode : (r.members.first { $0.errorCode != 0 }?.errorCode ?? 0)
        case .offsetCommit(let r): return r.topics.flatMap(\.partitions).first { $0.errorCode != 0 }?.errorCode ?? 0
        case .offsetFetch(let r): return r.errorCode != 0 ? r.errorCode : (r.groups.first { $0.errorCode != 0 }?.errorCode ?? 0)
        case .describeGroups(let r): return r.groups.first { $0.errorCode != 0 }?.errorCode ?? 0
        case .listGroups(let r): return r.errorCode
        case .deleteGroups(let r): return r.results.first { $0.errorCode != 0 }?.errorCode ?? 0
        case .offsetDelete(let r): return r.errorCode != 0 ? r.errorCode : (r.topics.flatMap(\.partitions).first { $0.errorCode != 0 }?.errorCode ?? 0)
        case .txnOffsetCommit(let r): return r.topics.flatMap(\.partitions).first { $0.errorCode != 0 }?.errorCode ?? 0
        case .consumerGroupHeartbeat(let r): return r.errorCode
        case .consumerGroupDescribe(let r): return r.groups.first { $0.errorCode != 0 }?.errorCode ?? 0
        }
    }
}

/// A timer the shard owns. One deadline per key: scheduling a key again replaces its deadline.
public enum TimerKey: Sendable, Hashable {
    /// A member's session (or a pending member's MEMBER_ID_REQUIRED window, or a new member's join timeout).
    case heartbeat(group: String, member: String)
    /// The join phase of a rebalance: the initial delay of an Empty group, then the rebalance timeout.
    case join(group: String)
    /// Members that got a JoinGroup answer must send SyncGroup within the rebalance timeout.
    case sync(group: String)
    /// A KIP-848 member's session (`group.consumer.session.timeout.ms`).
    case consumerSession(group: String, member: String)
    /// A KIP-848 member asked to revoke partitions must do so within its rebalance timeout.
    case consumerRebalance(group: String, member: String)
    /// The periodic offset expiration sweep (`offsets.retention.check.interval.ms`).
    case offsetExpiration
}

/// What the driver must do with a timer.
public enum TimerAction: Sendable, Hashable {
    /// Deliver `.timerFired(key)` once the clock reaches `deadline` (ms); replaces an earlier deadline.
    case schedule(TimerKey, deadline: Int64)
    /// Forget the timer.
    case cancel(TimerKey)
}

/// A response addressed to the request that asked for it.
public struct GroupReply: Sendable {
    public var requestId: UInt64
    public var apiVersion: Int16
    public var response: GroupResponse
}

/// The outcome of one event.
///
/// The driver must: (1) append `records` to the shard's `__consumer_offsets` partition (in order, one batch);
/// (2) `replay` each of them into the shard before giving it the next event; (3) send `replies` once the records
/// are committed (at once when there are none); (4) apply `timers` in order.
public struct GroupResult: Sendable {
    public var records: [CoordinatorRecord] = []
    public var replies: [GroupReply] = []
    public var timers: [TimerAction] = []
    /// Set when `records` belong to a transaction: the driver writes them as one transactional batch of this
    /// producer and replays them with `replayTransactional` (they stay pending until the transaction's marker).
    public var transactional: TransactionalProducer?

    public init() {}

    /// The reply to one request id, if this result holds it.
    public func reply(to requestId: UInt64) -> GroupResponse? {
        replies.first { $0.requestId == requestId }?.response
    }
}
