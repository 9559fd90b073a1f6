import KafkaProtocol

/// One partition's replication state on its leader, as a pure value: the ISR, each follower's progress, the log
/// end and the high watermark, and Kafka's rules over them (`Partition.scala` in Kafka 3.7):
///
/// - the high watermark is the smallest log end offset in the maximal ISR (committed ISR plus an expansion in
///   flight) and never goes backwards;
/// - acks=all is refused with NOT_ENOUGH_REPLICAS before the append when the committed ISR is smaller than
///   `min.insync.replicas`, and completes with NOT_ENOUGH_REPLICAS_AFTER_APPEND when it shrank below it while the
///   produce waited;
/// - a follower joins the ISR once it has reached the high watermark and this leader epoch's start, and leaves it
///   after `replica.lag.time.max.ms` without catching up; both only through AlterPartition (KIP-497), one change
///   at a time, the controller's answer deciding.
///
/// Event in, actions out: no clock (every event carries `now`), no I/O.
public struct LeaderReplicationState: Hashable, Sendable {
    public let localId: Int32
    public internal(set) var leaderEpoch: Int32
    public internal(set) var partitionEpoch: Int32
    public internal(set) var replicas: [Int32]
    public internal(set) var isrState: IsrState
    /// Every replica but this one.
    public internal(set) var followers: [Int32: FollowerProgress]
    public internal(set) var logEndOffset: Int64
    public internal(set) var highWatermark: Int64
    /// The log end when this leader epoch began: a follower joins the ISR only once it has reached it, so that
    /// every ISR member holds the new epoch's first offset (Kafka's `leaderEpochStartOffsetOpt`).
    public internal(set) var epochStartOffset: Int64
    /// Replicas the controller would refuse in an ISR (fenced, in controlled shutdown; KIP-841): never proposed.
    public internal(set) var ineligible: Set<Int32>
    public var config: ReplicationConfig

    /// Leadership taken at `term` with the local log ending at `logEndOffset` and its high watermark as the
    /// follower last learnt it. ISR members get one lag interval to fetch; until each has, the high watermark
    /// holds, since a new leader does not know what its followers have.
    public init(localId: Int32, term: PartitionTerm, logEndOffset: Int64, highWatermark: Int64,
                ineligible: Set<Int32> = [], config: ReplicationConfig, now: Int64) {
        self.localId = localId
        self.leaderEpoch = term.leaderEpoch
        self.partitionEpoch = term.partitionEpoch
        self.replicas = term.replicas
        self.isrState = .committed(isr: term.isr)
        self.logEndOffset = logEndOffset
        self.highWatermark = min(highWatermark, logEndOffset)
        self.epochStartOffset = logEndOffset
        self.ineligible = ineligible
        self.config = config
        self.followers = [:]
        for r in term.replicas where r != localId {
            followers[r] = FollowerProgress(inSync: term.isr.contains(r), now: now)
        }
    }

    /// The committed ISR.
    public var isr: [Int32] { isrState.isr }

    /// The check before a produce appends: acks=all needs `min.insync.replicas` in the committed ISR.
    public func checkAppend(requiredAcks: Int16) -> KafkaError {
        Self.checkAppend(requiredAcks: requiredAcks, isrSize: isr.count, minInsyncReplicas: config.minInsyncReplicas)
    }

    /// Kafka's rule (`Partition.appendRecordsToLeader`): an acks=all produce is refused with NOT_ENOUGH_REPLICAS,
    /// before anything is appended, while the ISR is smaller than `min.insync.replicas`; acks 0 and 1 are not.
    public static func checkAppend(requiredAcks: Int16, isrSize: Int, minInsyncReplicas: Int) -> KafkaError {
        requiredAcks == -1 && isrSize < minInsyncReplicas ? .notEnoughReplicas : .none
    }

    /// The leader appended: its log now ends at `logEndOffset`.
    public mutating func appended(logEndOffset: Int64, now: Int64) -> [ReplicationAction] {
        precondition(logEndOffset >= self.logEndOffset, "the leader's log end went back from \(self.logEndOffset) to \(logEndOffset)")
        self.logEndOffset = logEndOffset
        return maybeIncrementHighWatermark()
    }

    /// A follower fetched from `fetchOffset` (validated by the caller against the log: at most the log end, not
    /// diverging). Throws NOT_LEADER_OR_FOLLOWER when `replicaId` is not a follower of this partition.
    public mutating func followerFetched(replicaId: Int32, fetchOffset: Int64, logStartOffset: Int64, brokerEpoch: Int64,
                                         now: Int64) throws(KafkaError) -> [ReplicationAction] {
        guard var progress = followers[replicaId] else { throw .notLeaderOrFollower }
        progress.recordFetch(fetchOffset: min(fetchOffset, logEndOffset), logStartOffset: logStartOffset,
                             brokerEpoch: brokerEpoch, leaderEndOffset: logEndOffset, now: now)
        followers[replicaId] = progress
        var actions = maybeExpandIsr(replicaId)
        actions += maybeIncrementHighWatermark()
        return actions
    }

    /// Where an acks=all produce whose last record is at `requiredOffset - 1` stands.
    public func acksAllStatus(requiredOffset: Int64) -> AcksAllStatus {
        guard highWatermark >= requiredOffset else { return .waiting }
        // Appended before the ISR shrank: written, but with fewer copies than asked for.
        return isrState.maximalIsr.count >= config.minInsyncReplicas ? .done(.none) : .done(.notEnoughReplicasAfterAppend)
    }

    /// Raises the high watermark to the smallest log end in the maximal ISR, if that is higher.
    mutating func maybeIncrementHighWatermark() -> [ReplicationAction] {
        var candidate = logEndOffset
        for id in isrState.maximalIsr where id != localId {
            // A member with no known progress (a new leader's followers before their first fetch) holds it.
            candidate = min(candidate, followers[id]?.logEndOffset ?? FollowerProgress.unknown)
        }
        guard candidate > highWatermark else { return [] }
        highWatermark = candidate
        return [.highWatermarkAdvanced(candidate)]
    }
}

/// Where an acks=all produce stands.
public enum AcksAllStatus: Hashable, Sendable {
    /// The high watermark has not reached it yet.
    case waiting
    /// Answer now, with this error (`.none` for success).
    case done(KafkaError)
}
