import KafkaProtocol
import NIOCore

/// The group coordinator for one `__consumer_offsets` partition: a pure state machine.
///
/// `handle(_:now:)` turns a request or a timer into records, replies and timer actions (see `GroupResult` for what
/// the driver does with them). Offsets and persisted group metadata change only in `replay(_:)`, which is also how
/// a new leader of the partition loads it (then `onLoaded(now:)`). Like Kafka's coordinator, the rebalance
/// bookkeeping of classic groups (held JoinGroup/SyncGroup requests, pending members, the generation bump of the
/// join phase) lives in memory only; the group's metadata is written when the leader's assignment is stored.
public struct GroupCoordinatorShard: Sendable {
    public let config: GroupCoordinatorConfig
    public internal(set) var groups: [String: ClassicGroup] = [:]
    /// KIP-848 consumer groups. A group id names either a classic group or a consumer group, never both.
    public internal(set) var consumerGroups: [String: ConsumerGroup] = [:]
    /// Topics of the metadata image (ids, names, partition counts) for assignments; `topicsVersion` counts updates.
    var topics: [KafkaUUID: AssignmentSpec.Topic] = [:]
    var topicsVersion = 0
    /// When each consumer group's epoch last moved (ms; in memory only): members are kept on the short heartbeat
    /// interval for one stable interval after it (see `heartbeatInterval`).
    var consumerGroupChangedAt: [String: Int64] = [:]
    /// Member ids handed to classic members joining a consumer group with MEMBER_ID_REQUIRED (KIP-394), accepted
    /// on their next JoinGroup (in memory; bounded).
    var issuedClassicMemberIds: Set<String> = []
    /// Regular expression subscriptions resolved against `topicsVersion`.
    var resolvedRegexes: [String: (version: Int, topics: Set<String>)] = [:]
    /// Committed offsets per group.
    public internal(set) var offsets: [String: [GroupTopicPartition: CommittedOffset]] = [:]
    var memberIds: MemberIdGenerator
    /// Deadlines of the timers asked for, so stale or cancelled expiries are ignored.
    var timerDeadlines: [TimerKey: Int64] = [:]
    /// Topic ids by name, the reverse of `topics` (kept with it by `updateTopics`).
    var topicIdsByName: [String: KafkaUUID] = [:]
    /// Offsets committed by open transactions, pending until their marker (Shard+TxnOffsetCommit).
    public internal(set) var pendingTransactionalOffsets = PendingTransactionalOffsets()

    /// Effects of the event being handled.
    var out = GroupResult()
    var now: Int64 = 0

    public init(config: GroupCoordinatorConfig = GroupCoordinatorConfig(), memberIds: MemberIdGenerator) {
        self.config = config
        self.memberIds = memberIds
    }

    /// Tells the shard the topics of the metadata image (Kafka's `onNewMetadataImage`): consumer groups assign
    /// their partitions and resolve regexes against them; v10 offset APIs name topics by id.
    public mutating func updateTopics(_ topics: [KafkaUUID: AssignmentSpec.Topic]) {
        guard topics != self.topics else { return }
        self.topics = topics
        topicsVersion += 1
        topicIdsByName = Dictionary(topics.map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Handles one event at time `now` (ms, from the driver's clock).
    public mutating func handle(_ event: GroupEvent, now: Int64) -> GroupResult {
        self.now = now
        out = GroupResult()
        switch event {
        case .joinGroup(let ctx, let req): joinGroup(ctx, req)
        case .syncGroup(let ctx, let req): syncGroup(ctx, req)
        case .heartbeat(let ctx, let req): heartbeat(ctx, req)
        case .leaveGroup(let ctx, let req): leaveGroup(ctx, req)
        case .offsetCommit(let ctx, let req): offsetCommit(ctx, req)
        case .offsetFetch(let ctx, let req): offsetFetch(ctx, req)
        case .describeGroups(let ctx, let req): describeGroups(ctx, req)
        case .listGroups(let ctx, let req): listGroups(ctx, req)
        case .deleteGroups(let ctx, let req): deleteGroups(ctx, req)
        case .offsetDelete(let ctx, let req): offsetDelete(ctx, req)
        case .txnOffsetCommit(let ctx, let req): txnOffsetCommit(ctx, req)
        case .consumerGroupHeartbeat(let ctx, let req): consumerGroupHeartbeat(ctx, req)
        case .consumerGroupDescribe(let ctx, let req): consumerGroupDescribe(ctx, req)
        case .transactionCompleted(let producerId, _, let committed): completeTransaction(producerId: producerId, committed: committed)
        case .timerFired(let key): timerFired(key)
        }
        let result = out
        out = GroupResult()
        return result
    }

    /// Called once the partition's records have all been replayed after this node became its coordinator:
    /// arms the members' session timers and the offset expiration sweep.
    public mutating func onLoaded(now: Int64) -> GroupResult {
        self.now = now
        out = GroupResult()
        for group in groups.values {
            for member in group.members {
                schedule(.heartbeat(group: group.groupId, member: member.memberId), after: Int64(member.sessionTimeoutMs))
            }
        }
        for group in consumerGroups.values {
            for member in group.members.values {
                schedule(.consumerSession(group: group.groupId, member: member.memberId), after: config.consumerSessionTimeoutMs)
                if member.state == .unrevokedPartitions {
                    schedule(.consumerRebalance(group: group.groupId, member: member.memberId), after: Int64(max(0, member.rebalanceTimeoutMs)))
                }
            }
        }
        schedule(.offsetExpiration, after: config.offsetsRetentionCheckIntervalMs)
        let result = out
        out = GroupResult()
        return result
    }

    // MARK: - Replay

    /// Applies one record of the partition: the only way offsets and persisted group metadata change.
    public mutating func replay(_ record: CoordinatorRecord) {
        switch record.payload {
        case .offsetCommit(let group, let topic, let partition, let value):
            let tp = GroupTopicPartition(topic, partition)
            pendingTransactionalOffsets.regularCommitReplayed(group: group, tp, deleted: value == nil)
            if let value {
                // Offsets imply a group; without metadata it is a simple (offsets-only) group.
                if groups[group] == nil, consumerGroups[group] == nil { groups[group] = ClassicGroup(groupId: group) }
                offsets[group, default: [:]][tp] = CommittedOffset(
                    offset: value.offset, leaderEpoch: value.leaderEpoch, metadata: value.metadata,
                    commitTimestamp: value.commitTimestamp,
                    expireTimestamp: value.expireTimestamp >= 0 ? value.expireTimestamp : nil)
            } else {
                offsets[group]?[tp] = nil
                if offsets[group]?.isEmpty == true { offsets[group] = nil }
            }
        case .groupMetadata(let group, let value):
            if let value {
                replayGroupMetadata(group, value)
            } else {
                groups[group] = nil
                for key in timerDeadlines.keys where key.group == group && key.isClassic { timerDeadlines[key] = nil }
            }
        case .consumerGroup(let r):
            replayConsumerGroup(r)
        case .other:
            break  // Regex, share and streams group records: not interpreted yet.
        }
    }

    private mutating func replayGroupMetadata(_ groupId: String, _ value: GroupMetadataValue) {
        if var group = groups[groupId], group.generationId == value.generation,
            group.members.map(\.memberId) == value.members.map(\.memberId),
            group.state == .completingRebalance || group.state == .stable || (group.state == .empty && value.members.isEmpty)
        {
            // The record of the generation this shard is running (it was built from these very members): it
            // stores the leader's assignment. Anything else is a load, rebuilt from the record below.
            for m in value.members {
                group.update(m.memberId) { $0.assignment = m.assignment }
            }
            if group.state == .completingRebalance, !value.members.isEmpty {
                group.transition(to: .stable, now: value.currentStateTimestamp >= 0 ? value.currentStateTimestamp : group.stateTimestamp)
            }
            groups[groupId] = group
            return
        }
        // Loading: rebuild the group as the record describes it.
        var group = ClassicGroup(groupId: groupId)
        group.generationId = value.generation
        group.protocolType = value.protocolType.isEmpty ? nil : value.protocolType
        group.protocolName = value.protocol
        group.leaderId = value.leader
        group.members = value.members.map { m in
            var member = ClassicGroupMember(
                memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
                rebalanceTimeoutMs: m.rebalanceTimeout >= 0 ? m.rebalanceTimeout : m.sessionTimeout,
                sessionTimeoutMs: m.sessionTimeout,
                protocols: [MemberProtocol(name: value.protocol ?? "", metadata: m.subscription)])
            member.assignment = m.assignment
            return member
        }
        group.state = group.members.isEmpty ? .empty : .stable
        group.previousState = group.state
        group.stateTimestamp = value.currentStateTimestamp
        groups[groupId] = group
    }

    // MARK: - Inspection

    /// The committed offset of a partition for a group.
    public func committedOffset(group: String, topic: String, partition: Int32) -> CommittedOffset? {
        offsets[group]?[GroupTopicPartition(topic, partition)]
    }

    /// Deadline of a timer the shard currently expects.
    public func timerDeadline(_ key: TimerKey) -> Int64? { timerDeadlines[key] }

    // MARK: - Effects

    mutating func reply(_ ctx: RequestContext, _ response: GroupResponse) {
        out.replies.append(GroupReply(requestId: ctx.requestId, apiVersion: ctx.apiVersion, response: response))
    }

    mutating func reply(_ held: HeldRequest, _ response: GroupResponse) {
        out.replies.append(GroupReply(requestId: held.requestId, apiVersion: held.apiVersion, response: response))
    }

    mutating func schedule(_ key: TimerKey, after delayMs: Int64) {
        let deadline = now + max(0, delayMs)
        timerDeadlines[key] = deadline
        out.timers.append(.schedule(key, deadline: deadline))
    }

    mutating func cancel(_ key: TimerKey) {
        guard timerDeadlines.removeValue(forKey: key) != nil else { return }
        out.timers.append(.cancel(key))
    }
}

extension TimerKey {
    /// A timer of a classic group (not of a KIP-848 consumer group or the offset sweep).
    var isClassic: Bool {
        switch self {
        case .heartbeat, .join, .sync: return true
        case .consumerSession, .consumerRebalance, .offsetExpiration: return false
        }
    }

    var group: String? {
        switch self {
        case .heartbeat(let g, _), .join(let g), .sync(let g), .consumerSession(let g, _), .consumerRebalance(let g, _): return g
        case .offsetExpiration: return nil
        }
    }
}
