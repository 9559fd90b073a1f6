/// The broker settings the group coordinator reads, with Kafka's names and defaults.
public struct GroupCoordinatorConfig: Sendable, Hashable {
    /// `group.min.session.timeout.ms`: a JoinGroup asking for less gets INVALID_SESSION_TIMEOUT.
    public var minSessionTimeoutMs: Int32 = 6_000
    /// `group.max.session.timeout.ms`: a JoinGroup asking for more gets INVALID_SESSION_TIMEOUT.
    public var maxSessionTimeoutMs: Int32 = 1_800_000
    /// `group.initial.rebalance.delay.ms`: how long an Empty group waits for more members before its first
    /// generation; extended by the same delay while members keep joining, up to the rebalance timeout.
    public var initialRebalanceDelayMs: Int64 = 3_000
    /// `group.max.size`: members beyond this are answered GROUP_MAX_SIZE_REACHED (KIP-389).
    public var maxGroupSize: Int = .max
    /// `offsets.retention.minutes` (7 days): how long offsets of an Empty group (or of a simple consumer, since
    /// its last commit) are kept (KIP-211).
    public var offsetsRetentionMs: Int64 = 10_080 * 60_000
    /// `offsets.retention.check.interval.ms`: period of the expiration sweep.
    public var offsetsRetentionCheckIntervalMs: Int64 = 600_000
    /// `offset.metadata.max.bytes`: longer commit metadata is refused with OFFSET_METADATA_TOO_LARGE.
    public var offsetMetadataMaxBytes: Int = 4_096
    /// `group.coordinator.new.member.join.timeout` (5 minutes, not configurable in Kafka): how long a member that
    /// joined for the first time may wait in a rebalance before it is dropped if it went away.
    public var newMemberJoinTimeoutMs: Int64 = 300_000

    /// `group.consumer.session.timeout.ms`: a KIP-848 member that does not heartbeat for this long is removed.
    public var consumerSessionTimeoutMs: Int64 = 45_000
    /// `group.consumer.heartbeat.interval.ms`: the interval KIP-848 members are told to heartbeat at.
    public var consumerHeartbeatIntervalMs: Int32 = 5_000
    /// Tributary's `group.consumer.reconciliation.heartbeat.interval.ms` (not a Kafka key): the interval members
    /// are told while their group is converging on a new assignment (Assigning or Reconciling). Kafka always tells
    /// the stable interval, so a member waiting for a partition another member released learns of it up to a
    /// whole interval later; a short interval while the group moves makes a rebalance take milliseconds, and a
    /// stable group still heartbeats at the normal rate. Set it to the stable interval for Kafka's behaviour.
    public var consumerReconciliationHeartbeatIntervalMs: Int32 = 100
    /// `group.consumer.max.size`: KIP-848 members beyond this are refused with GROUP_MAX_SIZE_REACHED.
    public var consumerMaxGroupSize: Int = Int(Int32.max)
    /// `group.consumer.migration.policy` allows a non-empty classic group to become a consumer group when a
    /// KIP-848 member joins it ("upgrade" or "bidirectional", the default). Classic members may always join a
    /// consumer group that has members.
    public var consumerMigrationUpgrade = true
    /// `group.consumer.migration.policy` "downgrade" or "bidirectional": a consumer group whose last
    /// consumer-protocol member leaves while classic members remain becomes a classic group again.
    public var consumerMigrationDowngrade = true
    /// `group.consumer.assignors` by name: the first is the default.
    public var consumerAssignors: [String] = ["uniform", "range"]

    public init() {}
}
