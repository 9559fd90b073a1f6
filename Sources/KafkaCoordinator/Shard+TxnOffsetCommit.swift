import KafkaProtocol

/// The producer of a transactional write: the driver stamps the batch of a result's records with it (and the
/// transactional attribute), as Kafka writes transactional offset commits into `__consumer_offsets`.
public struct TransactionalProducer: Sendable, Hashable {
    public var producerId: Int64
    public var producerEpoch: Int16

    public init(producerId: Int64, producerEpoch: Int16) {
        self.producerId = producerId
        self.producerEpoch = producerEpoch
    }
}

/// Offsets committed inside open transactions (Kafka's `pendingTransactionalOffsets`): per producer, per group, per
/// partition. They become committed offsets when the COMMIT marker of the producer's transaction reaches the
/// shard's partition and are dropped on ABORT.
///
/// Kafka keeps the most recent of a mix of regular and transactional commits by the log offset of their records;
/// the shard replays records in log order, so a replay sequence number stands in for the offset.
public struct PendingTransactionalOffsets: Sendable {
    struct Entry: Sendable {
        var offset: CommittedOffset
        var sequence: Int64
    }

    var byProducer: [Int64: [String: [GroupTopicPartition: Entry]]] = [:]
    /// Replay sequence of the record behind each committed offset.
    var committedSequence: [String: [GroupTopicPartition: Int64]] = [:]
    var nextSequence: Int64 = 0

    public init() {}

    /// Whether no transaction has pending offsets.
    public var isEmpty: Bool { byProducer.isEmpty }

    /// Producers with pending offsets.
    public var producerIds: [Int64] { byProducer.keys.sorted() }

    /// Whether an open transaction committed an offset for the partition of the group.
    public func isPending(group: String, topic: String, partition: Int32) -> Bool {
        let tp = GroupTopicPartition(topic, partition)
        return byProducer.values.contains { $0[group]?[tp] != nil }
    }

    /// Whether any open transaction committed offsets for the group.
    public func hasPending(group: String) -> Bool {
        byProducer.values.contains { $0[group]?.isEmpty == false }
    }

    /// The offset a producer's open transaction committed for a partition.
    public func offset(producerId: Int64, group: String, topic: String, partition: Int32) -> CommittedOffset? {
        byProducer[producerId]?[group]?[GroupTopicPartition(topic, partition)]?.offset
    }

    mutating func add(producerId: Int64, group: String, _ tp: GroupTopicPartition, _ offset: CommittedOffset) {
        nextSequence += 1
        byProducer[producerId, default: [:]][group, default: [:]][tp] = Entry(offset: offset, sequence: nextSequence)
    }

    /// A regular (non-transactional) commit or tombstone of a partition was replayed. A tombstone also drops the
    /// pending transactional offsets of the partition, as Kafka does.
    mutating func regularCommitReplayed(group: String, _ tp: GroupTopicPartition, deleted: Bool) {
        nextSequence += 1
        if deleted {
            committedSequence[group]?[tp] = nil
            if committedSequence[group]?.isEmpty == true { committedSequence[group] = nil }
            for producerId in byProducer.keys {
                byProducer[producerId]?[group]?[tp] = nil
                if byProducer[producerId]?[group]?.isEmpty == true { byProducer[producerId]?[group] = nil }
                if byProducer[producerId]?.isEmpty == true { byProducer[producerId] = nil }
            }
        } else {
            committedSequence[group, default: [:]][tp] = nextSequence
        }
    }
}

/// TxnOffsetCommit (Kafka's `OffsetMetadataManager.commitTransactionalOffset`) and the end of transactions.
extension GroupCoordinatorShard {
    mutating func txnOffsetCommit(_ ctx: RequestContext, _ req: TxnOffsetCommitRequest) {
        var groupError: KafkaError?
        if req.groupId.isEmpty {
            groupError = .invalidGroupId
        } else if let group = groups[req.groupId] {
            groupError = validateTxnOffsetCommit(group, req)
        } else if req.generationId >= 0 {
            groupError = .illegalGeneration
        }
        // else: a simple consumer (generation -1): the offsets-only group appears when the records replay.

        var response = TxnOffsetCommitResponse()
        for topic in req.topics {
            var rt = TxnOffsetCommitResponse.TxnOffsetCommitResponseTopic()
            rt.name = topic.name
            for p in topic.partitions {
                var rp = TxnOffsetCommitResponse.TxnOffsetCommitResponsePartition()
                rp.partitionIndex = p.partitionIndex
                let metadata = p.committedMetadata ?? ""
                if let groupError {
                    rp.errorCode = groupError.rawValue
                } else if metadata.utf8.count > config.offsetMetadataMaxBytes {
                    rp.errorCode = KafkaError.offsetMetadataTooLarge.rawValue
                } else {
                    var value = OffsetCommitValue()
                    value.offset = p.committedOffset
                    value.leaderEpoch = ctx.apiVersion >= 2 ? p.committedLeaderEpoch : -1
                    value.metadata = metadata
                    value.commitTimestamp = now
                    out.records.append(.offsetCommit(group: req.groupId, topic: topic.name, partition: p.partitionIndex, value: value))
                }
                rt.partitions.append(rp)
            }
            response.topics.append(rt)
        }
        if !out.records.isEmpty {
            out.transactional = TransactionalProducer(producerId: req.producerId, producerEpoch: req.producerEpoch)
        }
        reply(ctx, .txnOffsetCommit(response))
    }

    /// Kafka's `ClassicGroup.validateOffsetCommit` for transactional commits: members are checked when the request
    /// names one (v3+), but a request without member and generation is accepted whatever the group's state (older
    /// versions carry neither), and a group completing its rebalance does not refuse it.
    private func validateTxnOffsetCommit(_ group: ClassicGroup, _ req: TxnOffsetCommitRequest) -> KafkaError? {
        if group.state == .dead { return .coordinatorNotAvailable }
        let generation = req.generationId
        if generation < 0, group.state == .empty { return nil }
        if generation >= 0 || !req.memberId.isEmpty || req.groupInstanceId != nil {
            if let error = validateMember(group, req.memberId, req.groupInstanceId) { return error }
            if generation != group.generationId { return .illegalGeneration }
        }
        return nil
    }

    // MARK: - Replay

    /// Applies one record written in a transactional batch of `producerId`: an offset commit stays pending until
    /// the producer's transaction marker (`replayEndTransactionMarker`). Other records replay as usual.
    public mutating func replayTransactional(_ record: CoordinatorRecord, producerId: Int64, producerEpoch: Int16) {
        guard case .offsetCommit(let group, let topic, let partition, let value?) = record.payload else {
            replay(record)
            return
        }
        if groups[group] == nil { groups[group] = ClassicGroup(groupId: group) }
        pendingTransactionalOffsets.add(
            producerId: producerId, group: group, GroupTopicPartition(topic, partition),
            CommittedOffset(offset: value.offset, leaderEpoch: value.leaderEpoch, metadata: value.metadata,
                            commitTimestamp: value.commitTimestamp,
                            expireTimestamp: value.expireTimestamp >= 0 ? value.expireTimestamp : nil))
    }

    /// Applies a COMMIT or ABORT marker of a producer found in the partition (load), as `.transactionCompleted`
    /// does for a marker written while the shard runs.
    public mutating func replayEndTransactionMarker(producerId: Int64, producerEpoch: Int16, committed: Bool) {
        completeTransaction(producerId: producerId, committed: committed)
    }

    /// Makes the producer's pending offsets committed offsets (COMMIT) or drops them (ABORT). A pending offset
    /// does not replace a regular commit of the same partition written after it.
    mutating func completeTransaction(producerId: Int64, committed: Bool) {
        guard let pending = pendingTransactionalOffsets.byProducer.removeValue(forKey: producerId), committed else { return }
        for (group, partitions) in pending {
            for (tp, entry) in partitions {
                let current = pendingTransactionalOffsets.committedSequence[group]?[tp] ?? Int64.min
                guard entry.sequence > current else { continue }
                if groups[group] == nil { groups[group] = ClassicGroup(groupId: group) }
                offsets[group, default: [:]][tp] = entry.offset
                pendingTransactionalOffsets.committedSequence[group, default: [:]][tp] = entry.sequence
            }
        }
    }

    // MARK: - OffsetFetch require_stable

    /// KIP-447: with `require_stable`, partitions an open transaction committed offsets for answer
    /// UNSTABLE_OFFSET_COMMIT (offset -1) so the consumer retries once the transaction ends.
    func markUnstableOffsets(_ response: inout OffsetFetchResponse, apiVersion: Int16, groupId: String) {
        guard !pendingTransactionalOffsets.isEmpty else { return }
        let pending = pendingTransactionalOffsets
        if apiVersion < 8 {
            guard pending.hasPending(group: groupId) else { return }
            for t in response.topics.indices {
                let name = response.topics[t].name
                for p in response.topics[t].partitions.indices
                where pending.isPending(group: groupId, topic: name, partition: response.topics[t].partitions[p].partitionIndex) {
                    response.topics[t].partitions[p].errorCode = KafkaError.unstableOffsetCommit.rawValue
                    response.topics[t].partitions[p].committedOffset = -1
                    response.topics[t].partitions[p].committedLeaderEpoch = -1
                    response.topics[t].partitions[p].metadata = ""
                }
            }
            return
        }
        for g in response.groups.indices {
            let group = response.groups[g].groupId
            guard pending.hasPending(group: group) else { continue }
            for t in response.groups[g].topics.indices {
                let topic = response.groups[g].topics[t]
                guard let name = apiVersion >= 10 ? topics[topic.topicId]?.name : topic.name else { continue }
                for p in topic.partitions.indices
                where pending.isPending(group: group, topic: name, partition: topic.partitions[p].partitionIndex) {
                    response.groups[g].topics[t].partitions[p].errorCode = KafkaError.unstableOffsetCommit.rawValue
                    response.groups[g].topics[t].partitions[p].committedOffset = -1
                    response.groups[g].topics[t].partitions[p].committedLeaderEpoch = -1
                    response.groups[g].topics[t].partitions[p].metadata = ""
                }
            }
        }
    }
}
