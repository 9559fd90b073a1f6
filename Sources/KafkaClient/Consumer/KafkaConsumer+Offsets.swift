import KafkaProtocol
import NIOCore

extension KafkaConsumer {
    /// Turns `earliest`/`latest` starts into offsets with ListOffsets to each partition's leader.
    func resolveStarts() async throws {
        let pending = pendingStarts()
        guard !pending.isEmpty else { return }
        let resolved = try await cluster.withRetries("ListOffsets") { [cluster] () -> [TopicPartition: Int64] in
            let m = try await cluster.metadata(topics: Array(Set(pending.map(\.0.topic))))
            var byLeader: [Int32: [(TopicPartition, OffsetSpec)]] = [:]
            for (tp, spec) in pending {
                guard let leader = m.leader(of: tp.topic, partition: tp.partition) else {
                    throw KafkaClientError.broker(.leaderNotAvailable, message: nil, broker: nil, context: "partition \(tp)")
                }
                byLeader[leader, default: []].append((tp, spec))
            }
            var out: [TopicPartition: Int64] = [:]
            for (leader, parts) in byLeader {
                let link = try await cluster.link(to: leader)
                let (r, _) = try await link.send(.listOffsets, as: ListOffsetsResponse.self) { _ in
                    var req = ListOffsetsRequest()
                    req.replicaId = -1
                    var topics: [String: [ListOffsetsRequest.ListOffsetsPartition]] = [:]
                    for (tp, spec) in parts {
                        var p = ListOffsetsRequest.ListOffsetsPartition()
                        p.partitionIndex = tp.partition
                        p.timestamp = spec == .earliest ? -2 : -1
                        topics[tp.topic, default: []].append(p)
                    }
                    req.topics = topics.map { var t = ListOffsetsRequest.ListOffsetsTopic(); t.name = $0.key; t.partitions = $0.value; return t }
                    return req
                }
                for t in r.topics {
                    for p in t.partitions {
                        let tp = TopicPartition(topic: t.name, partition: p.partitionIndex)
                        let code = KafkaError(rawValue: p.errorCode) ?? .unknownServerError
                        guard code == .none else {
                            throw KafkaClientError.broker(code, message: nil, broker: leader, context: "partition \(tp)")
                        }
                        out[tp] = p.offset >= 0 ? p.offset : (p.oldStyleOffsets.first ?? 0)
                    }
                }
            }
            return out
        }
        applyStarts(resolved)
    }

    /// Handles one Fetch response: decodes the records past each partition's position and advances it.
    func handle(_ r: FetchResponse, from broker: Int32) async throws -> [ConsumerRecord] {
        var out: [ConsumerRecord] = []
        var staleMetadata = false
        for t in r.responses {
            for p in t.partitions {
                let tp = TopicPartition(topic: t.topic, partition: p.partitionIndex)
                guard let position = currentPosition(tp) else { continue }
                let code = KafkaError(rawValue: p.errorCode) ?? .unknownServerError
                switch code {
                case .none:
                    let (records, next) = try Self.decode(p.records ?? ByteBuffer(), tp: tp, from: position, broker: broker)
                    out += records
                    if next > position { advance(tp, to: next) }
                case .offsetOutOfRange:
                    resetToDefault(tp)
                case _ where code.invalidatesMetadata || code.isRetriable:
                    staleMetadata = true
                default:
                    throw KafkaClientError.broker(code, message: nil, broker: broker, context: "partition \(tp)")
                }
            }
        }
        if staleMetadata { await cluster.invalidateMetadata() }
        return out
    }

    /// The records at or past `position` in a Fetch response's record bytes (magic 2 batches of any codec) and
    /// the offset to fetch next. A truncated last batch (the broker cuts at the byte limit) is left for the
    /// next fetch.
    static func decode(_ bytes: ByteBuffer, tp: TopicPartition, from position: Int64, broker: Int32) throws -> ([ConsumerRecord], Int64) {
        var it = RecordBatchIterator(bytes)
        var out: [ConsumerRecord] = []
        var next = position
        do {
            while let batch = try it.next() {
                let h = batch.header
                guard h.magic == 2 else {
                    throw KafkaClientError.network("partition \(tp) from broker \(broker): message format v\(h.magic) is not supported by this client")
                }
                if h.nextOffset <= position { continue }
                if !h.isControl {
                    var records = try batch.records()
                    while let rec = try records.next() {
                        if rec.offset < position { continue }
                        out.append(ConsumerRecord(topic: tp.topic, partition: tp.partition, offset: rec.offset, timestamp: rec.timestamp,
                                                  timestampType: h.timestampType, key: rec.key, value: rec.value,
                                                  headers: Array(rec.headers), leaderEpoch: h.partitionLeaderEpoch))
                    }
                }
                next = max(next, h.nextOffset)
            }
        } catch let e as KafkaClientError {
            throw e
        } catch {
            throw KafkaClientError.network("corrupt records for partition \(tp) from broker \(broker): \(error)")
        }
        return (out, next)
    }
}
