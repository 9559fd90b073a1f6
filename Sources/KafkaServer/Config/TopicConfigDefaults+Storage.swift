import KafkaStorage

extension TopicConfigDefaults {
    /// The storage layer's view of these settings. Kafka's "unlimited" spellings (-1 retention, Long.MAX flush
    /// intervals) become nil; `producerIdExpirationMs` is a broker setting (`producer.id.expiration.ms`).
    public func logConfig(producerIdExpirationMs: Int64) -> LogConfig {
        var config = LogConfig()
        config.segmentBytes = Int64(segmentBytes)
        config.segmentMs = segmentMs
        config.segmentIndexBytes = Int(segmentIndexBytes)
        config.indexIntervalBytes = Int(indexIntervalBytes)
        config.retentionMs = retentionMs < 0 ? nil : retentionMs
        config.retentionBytes = retentionBytes < 0 ? nil : retentionBytes
        config.flushMessages = flushMessages == Int64.max ? nil : flushMessages
        config.flushMs = flushMs == Int64.max ? nil : flushMs
        config.producerIdExpirationMs = producerIdExpirationMs
        config.compact = compacts
        config.delete = deletes
        config.minCleanableDirtyRatio = minCleanableDirtyRatio
        config.minCompactionLagMs = minCompactionLagMs
        config.maxCompactionLagMs = maxCompactionLagMs
        config.deleteRetentionMs = deleteRetentionMs
        return config
    }
}

extension BrokerConfig {
    /// The log settings of a topic without overrides, for the storage layer.
    public var defaultLogConfig: LogConfig {
        topicDefaults.logConfig(producerIdExpirationMs: Int64(transactions.producerIdExpirationMs))
    }
}
