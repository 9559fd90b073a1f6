import KafkaProtocol

/// What a topic's `compression.type` asks of the broker.
public enum TopicCompression: Sendable, Equatable {
    /// Store batches compressed as the producer sent them (`producer`).
    case producer
    /// Store batches with this codec, recompressing when the producer used another (`uncompressed` is `.none`).
    case codec(CompressionCodec)

    init(name: String) {
        switch name {
        case "gzip": self = .codec(.gzip)
        case "snappy": self = .codec(.snappy)
        case "lz4": self = .codec(.lz4)
        case "zstd": self = .codec(.zstd)
        case "uncompressed": self = .codec(.none)
        default: self = .producer
        }
    }
}

/// The effective log settings of a topic: the broker's defaults (from their `log.*` synonyms) with any topic
/// overrides applied. Each field is the topic key of the same name (`retentionMs` is `retention.ms`), with Kafka's
/// conventions: -1 retention means unlimited, Long.MAX flush intervals mean never.
public struct TopicConfigDefaults: Sendable, Equatable {
    public var retentionMs: Int64
    public var retentionBytes: Int64
    public var segmentBytes: Int32
    public var segmentMs: Int64
    public var segmentJitterMs: Int64
    public var segmentIndexBytes: Int32
    public var indexIntervalBytes: Int32
    public var flushMessages: Int64
    public var flushMs: Int64
    /// `delete`, `compact`, or both.
    public var cleanupPolicy: Set<String>
    public var compression: TopicCompression
    public var compressionGzipLevel: Int32
    public var compressionLz4Level: Int32
    public var compressionZstdLevel: Int32
    public var maxMessageBytes: Int32
    public var messageTimestampType: TimestampType
    public var messageTimestampBeforeMaxMs: Int64
    public var messageTimestampAfterMaxMs: Int64
    public var minInsyncReplicas: Int32
    public var uncleanLeaderElectionEnable: Bool
    public var deleteRetentionMs: Int64
    public var minCompactionLagMs: Int64
    public var maxCompactionLagMs: Int64
    public var minCleanableDirtyRatio: Double
    public var fileDeleteDelayMs: Int64
    public var preallocate: Bool
    public var messageDownconversionEnable: Bool
    /// Every topic-level key with its effective value (what DescribeConfigs reports for a topic).
    public private(set) var values: [String: ConfigValue]

    /// True when old segments are deleted by time or size.
    public var deletes: Bool { cleanupPolicy.contains("delete") }
    /// True when the topic is compacted (keys required on produce).
    public var compacts: Bool { cleanupPolicy.contains("compact") }

    /// Builds the settings from topic-key values; keys missing from `values` take the table's topic default.
    public init(values: [String: ConfigValue], definitions: ConfigDef = .standard) {
        var all: [String: ConfigValue] = [:]
        for key in definitions.keys where key.scope.appliesToTopic {
            if let value = values[key.name] ?? key.defaultValue { all[key.name] = value }
        }
        self.values = all
        func long(_ k: String) -> Int64 { all[k]?.integerValue ?? 0 }
        func int(_ k: String) -> Int32 { Int32(clamping: all[k]?.integerValue ?? 0) }
        func bool(_ k: String) -> Bool { if case .boolean(let b)? = all[k] { return b } else { return false } }
        func text(_ k: String) -> String { all[k]?.description ?? "" }
        // Kafka treats any negative retention time as unlimited.
        retentionMs = max(long("retention.ms"), -1)
        retentionBytes = long("retention.bytes")
        segmentBytes = int("segment.bytes")
        segmentMs = long("segment.ms")
        segmentJitterMs = long("segment.jitter.ms")
        segmentIndexBytes = int("segment.index.bytes")
        indexIntervalBytes = int("index.interval.bytes")
        flushMessages = long("flush.messages")
        flushMs = long("flush.ms")
        if case .list(let policies)? = all["cleanup.policy"] { cleanupPolicy = Set(policies) } else { cleanupPolicy = [] }
        compression = TopicCompression(name: text("compression.type"))
        compressionGzipLevel = int("compression.gzip.level")
        compressionLz4Level = int("compression.lz4.level")
        compressionZstdLevel = int("compression.zstd.level")
        maxMessageBytes = int("max.message.bytes")
        messageTimestampType = text("message.timestamp.type") == "LogAppendTime" ? .logAppendTime : .createTime
        messageTimestampBeforeMaxMs = long("message.timestamp.before.max.ms")
        messageTimestampAfterMaxMs = long("message.timestamp.after.max.ms")
        minInsyncReplicas = int("min.insync.replicas")
        uncleanLeaderElectionEnable = bool("unclean.leader.election.enable")
        deleteRetentionMs = long("delete.retention.ms")
        minCompactionLagMs = long("min.compaction.lag.ms")
        maxCompactionLagMs = long("max.compaction.lag.ms")
        if case .double(let ratio)? = all["min.cleanable.dirty.ratio"] { minCleanableDirtyRatio = ratio } else { minCleanableDirtyRatio = 0.5 }
        fileDeleteDelayMs = long("file.delete.delay.ms")
        preallocate = bool("preallocate")
        messageDownconversionEnable = bool("message.downconversion.enable")
    }

    /// These settings with topic-level overrides (as stored in metadata or sent in CreateTopics) applied.
    /// Throws `ConfigError.invalidValue` naming the key for an unknown topic key or a bad value.
    public func applying(overrides: [String: String], definitions: ConfigDef = .standard) throws -> TopicConfigDefaults {
        var merged = values
        for (name, text) in overrides.sorted(by: { $0.key < $1.key }) {
            guard let key = definitions.topicKey(name) else {
                throw ConfigError.invalidValue(key: name, value: text, expected: "not a topic-level configuration",
                                               origin: .override)
            }
            merged[name] = try key.parse(text, origin: .override)
        }
        return TopicConfigDefaults(values: merged, definitions: definitions)
    }
}
