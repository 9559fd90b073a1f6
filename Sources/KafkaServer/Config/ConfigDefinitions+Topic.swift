/// A broker key that supplies the default of a topic key, with the factor that turns its unit into the topic's.
public struct ConfigSynonym: Sendable, Equatable {
    public let name: String
    /// 1 for the same unit; 60 000 for minutes and 3 600 000 for hours when the topic key is in milliseconds.
    public let multiplier: Int64

    public init(_ name: String, multiplier: Int64 = 1) {
        self.name = name
        self.multiplier = multiplier
    }
}

// Topic-level keys (CreateTopics / AlterConfigs) and, for each, its broker-level synonyms in priority order.
extension ConfigDef {
    static let topicKeys: [ConfigKey] = [
        .int("segment.bytes", 1_073_741_824, valid: .atLeast(1_048_576), .medium, scope: .topic,
             "Size at which a segment is rolled."),
        .long("segment.ms", 604_800_000, valid: .atLeast(1), .medium, scope: .topic, "Age at which a segment is rolled."),
        .long("segment.jitter.ms", 0, valid: .atLeast(0), .medium, scope: .topic,
              "Random jitter subtracted from segment.ms."),
        .int("segment.index.bytes", 10_485_760, valid: .atLeast(4), .medium, scope: .topic, "Maximum offset index size."),
        .long("flush.messages", Int64.max, valid: .atLeast(1), .medium, scope: .topic,
              "Messages appended before a forced fsync."),
        .long("flush.ms", Int64.max, valid: .atLeast(0), .medium, scope: .topic, "Longest time data stays unflushed."),
        .long("retention.bytes", -1, .medium, scope: .topic, "Partition size beyond which old segments are deleted."),
        .long("retention.ms", 604_800_000, valid: .atLeast(-1), .medium, scope: .topic,
              "How long data is kept; -1 keeps it forever."),
        .int("max.message.bytes", 1_048_588, valid: .atLeast(0), .medium, scope: .topic, "Largest record batch accepted."),
        .int("index.interval.bytes", 4096, valid: .atLeast(0), .medium, scope: .topic,
             "Bytes appended between offset index entries."),
        .long("delete.retention.ms", 86_400_000, valid: .atLeast(0), .medium, scope: .topic,
              "How long tombstones are kept when compacting."),
        .long("min.compaction.lag.ms", 0, valid: .atLeast(0), .medium, scope: .topic,
              "Minimum age before a record may be compacted."),
        .long("max.compaction.lag.ms", Int64.max, valid: .atLeast(1), .medium, scope: .topic,
              "Maximum age before a record becomes eligible for compaction."),
        .long("file.delete.delay.ms", 60000, valid: .atLeast(0), .medium, scope: .topic,
              "Delay before a deleted segment's files are removed."),
        .double("min.cleanable.dirty.ratio", 0.5, valid: .doubleBetween(0, 1), .medium, scope: .topic,
                "Dirty ratio that makes the log eligible for compaction."),
        .list("cleanup.policy", ["delete"], valid: .listOf(["compact", "delete"]), .medium, scope: .topic,
              "delete, compact, or both."),
        .boolean("preallocate", false, .medium, scope: .topic, "Preallocate segment files."),
        .string("message.timestamp.type", "CreateTime", valid: .oneOf(["CreateTime", "LogAppendTime"]), .medium,
                scope: .topic, "Producer timestamps (CreateTime) or broker append time (LogAppendTime)."),
        .long("message.timestamp.before.max.ms", Int64.max, valid: .atLeast(0), .medium, scope: .topic,
              "How far in the past a CreateTime timestamp may be."),
        .long("message.timestamp.after.max.ms", 3_600_000, valid: .atLeast(0), .medium, scope: .topic,
              "How far in the future a CreateTime timestamp may be."),
        .boolean("message.downconversion.enable", true, .low, scope: .topic,
                 "Convert records to an old format for fetchers that need it."),
        .long("local.retention.ms", -2, valid: .atLeast(-2), .medium, scope: .topic,
              "Local retention with tiered storage; -2 follows retention.ms."),
        .long("local.retention.bytes", -2, valid: .atLeast(-2), .medium, scope: .topic,
              "Local size limit with tiered storage; -2 follows retention.bytes."),
        .boolean("remote.storage.enable", false, .medium, scope: .topic, "Tier this topic's data to remote storage."),
        .list("leader.replication.throttled.replicas", [], .medium, scope: .topic,
              "Replicas throttled on the leader side, as partition:broker,... or *."),
        .list("follower.replication.throttled.replicas", [], .medium, scope: .topic,
              "Replicas throttled on the follower side, as partition:broker,... or *."),
    ]

    /// For each topic key, the broker keys that supply its default, highest priority first (Kafka's synonyms).
    public static let topicSynonyms: [String: [ConfigSynonym]] = [
        "segment.bytes": [.init("log.segment.bytes")],
        "segment.ms": [.init("log.roll.ms"), .init("log.roll.hours", multiplier: 3_600_000)],
        "segment.jitter.ms": [.init("log.roll.jitter.ms"), .init("log.roll.jitter.hours", multiplier: 3_600_000)],
        "segment.index.bytes": [.init("log.index.size.max.bytes")],
        "flush.messages": [.init("log.flush.interval.messages")],
        "flush.ms": [.init("log.flush.interval.ms"), .init("log.flush.scheduler.interval.ms")],
        "retention.bytes": [.init("log.retention.bytes")],
        "retention.ms": [
            .init("log.retention.ms"), .init("log.retention.minutes", multiplier: 60_000),
            .init("log.retention.hours", multiplier: 3_600_000),
        ],
        "max.message.bytes": [.init("message.max.bytes")],
        "index.interval.bytes": [.init("log.index.interval.bytes")],
        "delete.retention.ms": [.init("log.cleaner.delete.retention.ms")],
        "min.compaction.lag.ms": [.init("log.cleaner.min.compaction.lag.ms")],
        "max.compaction.lag.ms": [.init("log.cleaner.max.compaction.lag.ms")],
        "file.delete.delay.ms": [.init("log.segment.delete.delay.ms")],
        "min.cleanable.dirty.ratio": [.init("log.cleaner.min.cleanable.ratio")],
        "cleanup.policy": [.init("log.cleanup.policy")],
        "unclean.leader.election.enable": [.init("unclean.leader.election.enable")],
        "min.insync.replicas": [.init("min.insync.replicas")],
        "compression.type": [.init("compression.type")],
        "compression.gzip.level": [.init("compression.gzip.level")],
        "compression.lz4.level": [.init("compression.lz4.level")],
        "compression.zstd.level": [.init("compression.zstd.level")],
        "preallocate": [.init("log.preallocate")],
        "message.timestamp.type": [.init("log.message.timestamp.type")],
        "message.timestamp.before.max.ms": [.init("log.message.timestamp.before.max.ms")],
        "message.timestamp.after.max.ms": [.init("log.message.timestamp.after.max.ms")],
        "message.downconversion.enable": [.init("log.message.downconversion.enable")],
        "local.retention.ms": [.init("log.local.retention.ms")],
        "local.retention.bytes": [.init("log.local.retention.bytes")],
    ]
}
