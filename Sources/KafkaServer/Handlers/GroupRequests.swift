import KafkaCoordinator
import KafkaProtocol

/// Sends a group request to the shard that coordinates `groupId` and waits for its reply; nil when the
/// coordinator could not serve it (the handler then answers `groupRefusal`). `withTopics` first gives
/// the shard the metadata image's topics if they changed since it last saw them: requests that name topics by id
/// (v10 offsets) or assign partitions (KIP-848 groups and their classic members) need them.
func coordinate(
    _ context: BrokerContext, _ rc: RequestContext, groupId: String, withTopics: Bool = false,
    _ make: @escaping @Sendable (KafkaCoordinator.RequestContext) -> GroupEvent
) async -> GroupResponse? {
    do {
        let shard = try await context.groups.shard(for: groupId)
        if withTopics { await refreshTopics(context, shard) }
        let host = rc.clientAddress.split(separator: ":").dropLast().joined(separator: ":")
        return await shard.request(apiVersion: rc.apiVersion, clientId: rc.clientId ?? "", clientHost: "/" + host, make)
    } catch KafkaError.notCoordinator {
        // The group's partition is led elsewhere: the handler answers NOT_COORDINATOR and the client finds the
        // coordinator again.
        rc.logger.debug("group \(groupId) is coordinated by another broker")
        return nil
    } catch {
        rc.logger.error("group coordinator unavailable: \(error)")
        return nil
    }
}

/// The error a group request gets when this node could not coordinate it, as Kafka's: NOT_COORDINATOR when the
/// metadata does not make this node the leader of the group's `__consumer_offsets` partition (the client looks the
/// coordinator up again), COORDINATOR_NOT_AVAILABLE when it does but cannot serve yet (or the topic is not there).
func groupRefusal(_ context: BrokerContext, _ groupId: String) -> Int16 {
    coordinatorRefusal(context, topic: GroupCoordinatorService.topic, key: groupId)
}

/// `groupRefusal` for a transactional id and its `__transaction_state` partition.
func transactionRefusal(_ context: BrokerContext, _ transactionalId: String) -> Int16 {
    coordinatorRefusal(context, topic: TransactionCoordinatorService.topic, key: transactionalId)
}

private func coordinatorRefusal(_ context: BrokerContext, topic: String, key: String) -> Int16 {
    let image = context.image
    guard let t = image.topic(named: topic), !t.partitions.isEmpty else { return KafkaError.coordinatorNotAvailable.code }
    let index = GroupCoordinatorService.partition(for: key, partitions: Int32(t.partitions.count))
    let led = image.leader(of: topic, partition: index) == context.nodeId
    return (led ? KafkaError.coordinatorNotAvailable : .notCoordinator).code
}

/// For requests not keyed by one group (ListGroups).
let coordinatorNotAvailable = KafkaError.coordinatorNotAvailable.code

/// Hands the shard the image's topics (ids, names, partition counts) when the image moved since its last update.
private func refreshTopics(_ context: BrokerContext, _ shard: GroupShardDriver) async {
    let image = context.image
    guard await shard.topicsImageVersion != image.recordsReplayed else { return }
    var topics: [KafkaUUID: AssignmentSpec.Topic] = [:]
    for (id, topic) in image.topicsById {
        topics[id] = AssignmentSpec.Topic(name: topic.name, partitionCount: Int32(topic.partitions.count))
    }
    await shard.updateTopics(topics, imageVersion: image.recordsReplayed)
}
