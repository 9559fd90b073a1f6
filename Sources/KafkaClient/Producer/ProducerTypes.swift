import KafkaProtocol
import NIOCore

/// `acks`: how many replicas must have a record before the broker answers.
public enum Acks: Int16, Sendable {
    /// 0: the broker does not answer; the record counts as sent once written to the socket.
    case none = 0
    /// 1: the leader has it.
    case leader = 1
    /// -1 (`all`): every in-sync replica has it.
    case all = -1

    /// Parses Kafka's spelling: `0`, `1`, `-1` or `all`.
    public init?(kafkaValue: String) {
        switch kafkaValue.lowercased() {
        case "0": self = .none
        case "1": self = .leader
        case "-1", "all": self = .all
        default: return nil
        }
    }
}

/// Producer settings; names and defaults are the Java producer's.
public struct ProducerConfig: Sendable {
    public var client: KafkaClientConfig
    /// `acks` (all).
    public var acks: Acks = .all
    /// `linger.ms` (5, as Kafka 4.0): how long a batch waits for more records before it is sent.
    public var lingerMs: Int64 = 5
    /// `batch.size` (16384): a partition's batch is sent once its records reach this many bytes.
    public var batchSize: Int = 16384
    /// `compression.type` (none).
    public var compression: CompressionCodec = .none
    /// `delivery.timeout.ms` (120000): how long a record may be retried before it fails.
    public var deliveryTimeoutMs: Int64 = 120_000
    /// `allow.auto.create.topics` on the Metadata requests the producer sends (true).
    public var allowAutoCreateTopics = true
    /// `enable.idempotence`: nil (unset) means on when `acks` is all, as Kafka 3.2+ (KIP-679) decides; true with
    /// another `acks` is refused by `validate()`.
    public var enableIdempotence: Bool?

    /// Whether the producer is idempotent: a producer id from InitProducerId and a sequence number per partition
    /// on every batch, so the broker drops a retried batch it already has (KIP-98).
    public var idempotent: Bool { enableIdempotence ?? (acks == .all) }

    /// Refuses settings Kafka refuses together.
    public func validate() throws {
        if enableIdempotence == true, acks != .all {
            throw KafkaClientError.invalidConfig("Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.")
        }
    }

    public init(client: KafkaClientConfig) { self.client = client }

    /// Applies Java-client properties (`acks`, `linger.ms`, `batch.size`, `compression.type`,
    /// `delivery.timeout.ms`, `enable.idempotence`, `request.timeout.ms`, `retry.backoff.ms`, `client.id`, ...);
    /// unknown keys are returned for the caller to warn about, as Kafka logs "supplied but isn't a known config".
    public mutating func apply(_ properties: [String: String]) throws -> [String] {
        var unknown: [String] = []
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            func int() throws -> Int64 {
                guard let v = Int64(value) else { throw KafkaClientError.invalidConfig("Invalid value \(value) for configuration \(key)") }
                return v
            }
            switch key {
            case "acks":
                guard let a = Acks(kafkaValue: value) else { throw KafkaClientError.invalidConfig("Invalid value \(value) for configuration acks") }
                acks = a
            case "linger.ms": lingerMs = try int()
            case "batch.size": batchSize = Int(try int())
            case "delivery.timeout.ms": deliveryTimeoutMs = try int()
            case "request.timeout.ms": client.requestTimeoutMs = try int()
            case "retry.backoff.ms": client.retryBackoffMs = try int()
            case "retry.backoff.max.ms": client.retryBackoffMaxMs = try int()
            case "client.id": client.clientId = value
            case "bootstrap.servers": client.bootstrapServers = try BrokerAddress.parseList(value)
            case "allow.auto.create.topics": allowAutoCreateTopics = value.lowercased() == "true"
            case "enable.idempotence": enableIdempotence = value.lowercased() == "true"
            case "compression.type":
                guard let c = CompressionCodec(kafkaName: value) else { throw KafkaClientError.invalidConfig("Invalid value \(value) for configuration compression.type") }
                compression = c
            default: unknown.append(key)
            }
        }
        return unknown
    }
}

extension CompressionCodec {
    /// Kafka's `compression.type` names.
    public init?(kafkaName: String) {
        switch kafkaName.lowercased() {
        case "none": self = .none
        case "gzip": self = .gzip
        case "snappy": self = .snappy
        case "lz4": self = .lz4
        case "zstd": self = .zstd
        default: return nil
        }
    }
}

/// A record to produce. A nil partition lets the partitioner choose.
public struct ProducerRecord: Sendable {
    public var topic: String
    public var partition: Int32?
    public var key: ByteBuffer?
    public var value: ByteBuffer?
    public var headers: [RecordHeader]
    /// CreateTime in milliseconds; nil for now.
    public var timestamp: Int64?

    public init(topic: String, partition: Int32? = nil, key: ByteBuffer? = nil, value: ByteBuffer?,
                headers: [RecordHeader] = [], timestamp: Int64? = nil) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }

    /// A record with UTF-8 key and value.
    public init(topic: String, key: String?, value: String, partition: Int32? = nil) {
        self.init(topic: topic, partition: partition, key: key.map { ByteBuffer(string: $0) }, value: ByteBuffer(string: value))
    }
}

/// Where a record landed. `offset` is -1 with acks=0, when the broker says nothing.
public struct RecordMetadata: Sendable, Equatable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var timestamp: Int64
}
