import KafkaProtocol

/// OffsetFetch: one group before v8, several from v8; all partitions when topics is null (v2+).
extension GroupCoordinatorShard {
    /// One requested topic, named by name or (v10) by id.
    private struct FetchTopic {
        var name: String?
        var id: KafkaUUID
        var partitions: [Int32]
    }

    /// One answered topic.
    private struct FetchedTopic {
        var name: String
        var id: KafkaUUID
        var partitions: [(Int32, CommittedOffset?, KafkaError)]
    }

    mutating func offsetFetch(_ ctx: RequestContext, _ req: OffsetFetchRequest) {
        var response = OffsetFetchResponse()
        if ctx.apiVersion < 8 {
            let topics = req.topics.map { $0.map { FetchTopic(name: $0.name, id: .zero, partitions: $0.partitionIndexes) } }
            for t in fetch(group: req.groupId, topics: topics) {
                var rt = OffsetFetchResponse.OffsetFetchResponseTopic()
                rt.name = t.name
                rt.partitions = t.partitions.map { index, committed, error in
                    var rp = OffsetFetchResponse.OffsetFetchResponsePartition()
                    rp.partitionIndex = index
                    rp.committedOffset = committed?.offset ?? -1
                    rp.committedLeaderEpoch = committed?.leaderEpoch ?? -1
                    rp.metadata = committed?.metadata ?? ""
                    rp.errorCode = error.rawValue
                    return rp
                }
                response.topics.append(rt)
            }
        } else {
            for g in req.groups {
                let topics = g.topics.map {
                    $0.map { t in
                        FetchTopic(name: ctx.apiVersion >= 10 ? self.topics[t.topicId]?.name : t.name, id: t.topicId, partitions: t.partitionIndexes)
                    }
                }
                var rg = OffsetFetchResponse.OffsetFetchResponseGroup()
                rg.groupId = g.groupId
                // v9+ (KIP-848): a member fetching for a consumer group must be at its current epoch.
                if ctx.apiVersion >= 9, let cg = consumerGroups[g.groupId], g.memberEpoch >= 0 || !(g.memberId ?? "").isEmpty,
                   let error = validateConsumerGroupAccess(cg, memberId: g.memberId ?? "", memberEpoch: g.memberEpoch) {
                    rg.errorCode = error.rawValue
                    response.groups.append(rg)
                    continue
                }
                for t in fetch(group: g.groupId, topics: topics) {
                    var rt = OffsetFetchResponse.OffsetFetchResponseTopics()
                    rt.name = ctx.apiVersion >= 10 ? "" : t.name
                    rt.topicId = ctx.apiVersion >= 10 ? t.id : .zero
                    rt.partitions = t.partitions.map { index, committed, error in
                        var rp = OffsetFetchResponse.OffsetFetchResponsePartitions()
                        rp.partitionIndex = index
                        rp.committedOffset = committed?.offset ?? -1
                        rp.committedLeaderEpoch = committed?.leaderEpoch ?? -1
                        rp.metadata = committed?.metadata ?? ""
                        rp.errorCode = error.rawValue
                        return rp
                    }
                    rg.topics.append(rt)
                }
                response.groups.append(rg)
            }
        }
        if req.requireStable { markUnstableOffsets(&response, apiVersion: ctx.apiVersion, groupId: req.groupId) }
        reply(ctx, .offsetFetch(response))
    }

    /// The committed offsets asked for; unknown partitions answer offset -1 without error, as Kafka does.
    private func fetch(group: String, topics: [FetchTopic]?) -> [FetchedTopic] {
        let committed = offsets[group] ?? [:]
        guard let topics else {
            var byTopic: [String: [(Int32, CommittedOffset?, KafkaError)]] = [:]
            for (tp, offset) in committed { byTopic[tp.topic, default: []].append((tp.partition, offset, .none)) }
            return byTopic.keys.sorted().map { name in
                FetchedTopic(name: name, id: topicIdsByName[name] ?? .zero, partitions: byTopic[name]!.sorted { $0.0 < $1.0 })
            }
        }
        return topics.map { t in
            guard let name = t.name else {
                return FetchedTopic(name: "", id: t.id, partitions: t.partitions.map { ($0, nil, .unknownTopicId) })
            }
            return FetchedTopic(name: name, id: t.id, partitions: t.partitions.map { ($0, committed[GroupTopicPartition(name, $0)], .none) })
        }
    }
}
