#if canImport(Glibc)
import Glibc
#endif
import KafkaProtocol
import NIOCore

/// A topic partition.
public struct TopicPartition: Hashable, Sendable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)-\(partition)" }
}

/// Kafka's producer: records are batched per partition (a batch goes when it reaches `batch.size` or has waited
/// `linger.ms`), sent to the partition's leader as record batch v2 in the configured codec, and retried with
/// backoff on retriable errors (a leader move refreshes metadata first) until `delivery.timeout.ms`. Batches of one
/// partition are sent one at a time, so records of a partition keep their order across retries.
///
/// Idempotent by default (`enable.idempotence` unset with acks=all, KIP-679): the producer asks InitProducerId for
/// a producer id before its first batch and numbers each partition's batches, so a batch retried after a lost
/// response is written once. With idempotence off (or acks 0/1) a retry can write a batch twice.
public actor KafkaProducer {
    public nonisolated let config: ProducerConfig
    public nonisolated let cluster: KafkaCluster

    struct SealedBatch: Sendable {
        var tp: TopicPartition
        var records: ByteBuffer
        var deliveries: [(Delivery, Int64)]
        /// The producer id the batch is numbered for (-1 when not idempotent).
        var producerId: Int64
    }

    private struct OpenBatch {
        var builder: RecordBatchBuilder
        var deliveries: [(Delivery, Int64)] = []
        var generation: Int
    }

    private var open: [TopicPartition: OpenBatch] = [:]
    private var queues: [TopicPartition: [SealedBatch]] = [:]
    private var draining: Set<TopicPartition> = []
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    private var sticky = StickyPartitions()
    private var generation = 0
    private var closed = false
    /// The idempotent producer's id and epoch (-1 until InitProducerId answered) and next sequence per partition.
    var producerId: Int64 = -1
    var producerEpoch: Int16 = -1
    var sequences: [TopicPartition: Int32] = [:]
    var producerIdTask: Task<(Int64, Int16), any Error>?

    /// A producer with its own connections; throws for settings Kafka refuses (`ProducerConfig.validate`).
    public init(config: ProducerConfig) throws {
        try config.validate()
        self.config = config
        cluster = KafkaCluster(config: config.client)
    }

    /// Queues `record` and returns its delivery, which completes once the broker acknowledged the record's batch
    /// (or it failed). Waits only for metadata of a topic not seen yet (up to `default.api.timeout.ms`, Kafka's
    /// `max.block.ms`).
    public func send(_ record: ProducerRecord) async throws -> Delivery {
        if closed { throw KafkaClientError.closed }
        if config.idempotent, producerId < 0 { try await ensureProducerId() }
        let partition = try await choosePartition(record)
        let tp = TopicPartition(topic: record.topic, partition: partition)
        let timestamp = record.timestamp ?? Self.wallClockMs()
        let estimate = (record.key?.readableBytes ?? 0) + (record.value?.readableBytes ?? 0) + 21
            + record.headers.reduce(0) { $0 + $1.keyBytes.readableBytes + ($1.value?.readableBytes ?? 0) + 2 }
        if let b = open[tp], b.builder.recordsCount > 0, b.builder.uncompressedRecordsSize + estimate > config.batchSize {
            seal(tp)
        }
        if open[tp] == nil {
            generation += 1
            open[tp] = OpenBatch(builder: RecordBatchBuilder(compression: config.compression, initialCapacity: min(config.batchSize, 1 << 16)),
                                 generation: generation)
            let g = generation, linger = config.lingerMs
            Task { [weak self] in
                if linger > 0 { try? await Task.sleep(for: .milliseconds(linger)) } else { await Task.yield() }
                await self?.lingerExpired(tp, generation: g)
            }
        }
        let delivery = Delivery()
        do {
            try open[tp]!.builder.append(timestamp: timestamp, key: record.key, value: record.value, headers: record.headers)
        } catch {
            throw KafkaClientError.invalidConfig("record for \(tp) cannot be encoded: \(error)")
        }
        open[tp]!.deliveries.append((delivery, timestamp))
        if open[tp]!.builder.uncompressedRecordsSize >= config.batchSize { seal(tp) }
        return delivery
    }

    /// Sends every queued record now and returns once all of them completed.
    public func flush() async {
        for tp in Array(open.keys) { seal(tp) }
        if draining.isEmpty { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    /// Flushes, then closes the connections; later sends fail with `.closed`.
    public func close() async {
        await flush()
        closed = true
        await cluster.close()
    }

    private func choosePartition(_ record: ProducerRecord) async throws -> Int32 {
        let topic = record.topic, autoCreate = config.allowAutoCreateTopics
        let info = try await cluster.withRetries("metadata for topic \(topic)") { [cluster] () -> TopicInfo in
            let m = try await cluster.metadata(topics: [topic], autoCreate: autoCreate)
            guard let t = m.topics[topic], t.error == .none, !t.partitions.isEmpty else {
                await cluster.invalidateMetadata()
                let code = m.topics[topic]?.error ?? .unknownTopicOrPartition
                throw KafkaClientError.broker(code == .none ? .leaderNotAvailable : code, message: nil, broker: nil, context: "topic \(topic)")
            }
            return t
        }
        let count = Int32(info.partitions.count)
        if let p = record.partition {
            guard p >= 0, p < count else {
                throw KafkaClientError.invalidConfig("Invalid partition given with record: \(p) is not in the range [0...\(count - 1)].")
            }
            return p
        }
        if let key = record.key { return Partitioner.partition(key: key.readableBytesView, partitionCount: count) }
        let available = info.partitions.filter { $0.leader >= 0 }.map(\.partition)
        return sticky.partition(for: topic, partitionCount: count, available: available) { Int.random(in: 0..<$0) }
    }

    private func lingerExpired(_ tp: TopicPartition, generation g: Int) {
        if open[tp]?.generation == g { seal(tp) }
    }

    /// Closes the open batch of `tp` and queues it for its partition's sender.
    private func seal(_ tp: TopicPartition) {
        guard let b = open.removeValue(forKey: tp) else { return }
        sticky.batchCompleted(topic: tp.topic, partition: tp.partition)
        var builder = b.builder
        if producerId >= 0 {
            let sequence = sequences[tp, default: 0]
            builder.producerId = producerId
            builder.producerEpoch = producerEpoch
            builder.baseSequence = sequence
            sequences[tp] = Self.sequence(sequence, plus: builder.recordsCount)
        }
        let records: ByteBuffer
        do {
            records = try builder.build()
        } catch {
            for (d, _) in b.deliveries { d.complete(.failure(.invalidConfig("batch for \(tp) cannot be built: \(error)"))) }
            return
        }
        queues[tp, default: []].append(SealedBatch(tp: tp, records: records, deliveries: b.deliveries, producerId: builder.producerId))
        guard !draining.contains(tp) else { return }
        draining.insert(tp)
        Task { await self.drain(tp) }
    }

    /// Sends the queued batches of one partition in order, one at a time.
    private func drain(_ tp: TopicPartition) async {
        while let batch = queues[tp]?.first {
            await deliver(batch)
            queues[tp]?.removeFirst()
        }
        queues[tp] = nil
        draining.remove(tp)
        if draining.isEmpty, open.isEmpty {
            let waiters = idleWaiters
            idleWaiters = []
            for w in waiters { w.resume() }
        }
    }
}

extension KafkaProducer {
    /// Wall-clock milliseconds (CLOCK_REALTIME), a record's default timestamp; no Foundation in the client.
    static func wallClockMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
