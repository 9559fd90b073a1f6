import KafkaMetadata
import KafkaProtocol
import KafkaReplication
import KafkaStorage
import Logging

/// Runs the leaders' replication states on this node against the clock and the controller: a tick that expires
/// acks=all produces at their `timeout.ms` (one timer for all of them, not a sleeping task per request) and
/// proposes ISR shrinks after `replica.lag.time.max.ms`, and a sender that delivers queued ISR changes as
/// AlterPartition requests (KIP-497) — every queued partition in one request — and hands each answer back to
/// its partition's state.
struct ReplicationDriver: Sendable {
    let nodeId: Int32
    let replicas: ReplicaManager
    let controller: any ControllerChannel
    let cache: MetadataCache
    let clock: @Sendable () -> Int64
    let logger: Logger

    /// How often the tick runs: the resolution of acks=all timeouts.
    static let tickIntervalMs: Int64 = 50

    /// The two loops, until cancelled.
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await tickLoop() }
            group.addTask { await sendLoop() }
            await group.waitForAll()
        }
    }

    private func tickLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(Self.tickIntervalMs))
            replicas.roles.tick(now: clock())
        }
    }

    private func sendLoop() async {
        for await _ in replicas.roles.proposalsQueued {
            if Task.isCancelled { return }
            while case let queued = replicas.roles.takeProposals(), !queued.isEmpty {
                await send(queued)
                if Task.isCancelled { return }
            }
        }
    }

    private func send(_ queued: [(partition: TopicPartition, topicId: KafkaUUID, proposal: AlterPartitionProposal)]) async {
        // This process's epoch, not the image's: see OwnBrokerEpoch.
        let epoch = replicas.brokerEpoch.current
        var byTopic: [KafkaUUID: [AlterPartitionSpec.Partition]] = [:]
        for q in queued {
            byTopic[q.topicId, default: []].append(AlterPartitionSpec.Partition(
                partitionIndex: q.partition.partition, leaderEpoch: q.proposal.leaderEpoch,
                newIsrWithEpochs: zip(q.proposal.newIsr, q.proposal.newIsrBrokerEpochs).map {
                    AlterPartitionSpec.Replica(brokerId: $0.0, brokerEpoch: $0.1)
                },
                partitionEpoch: q.proposal.partitionEpoch))
        }
        let spec = AlterPartitionSpec(brokerId: nodeId, brokerEpoch: epoch,
                                      topics: byTopic.map { AlterPartitionSpec.Topic(topic: .id($0.key), partitions: $0.value) })
        var answers: [TopicPartition: AlterPartitionAnswer] = [:]
        do {
            let result = try await controller.alterPartition(spec)
            if result.error.error != .none {
                logger.info("AlterPartition refused as a whole: \(result.error)")
            } else {
                for topic in result.topics {
                    guard case .id(let id) = topic.topic else { continue }
                    for p in topic.partitions {
                        guard let q = queued.first(where: { $0.topicId == id && $0.partition.partition == p.partitionIndex }) else { continue }
                        answers[q.partition] = p.error.error == .none
                            ? .accepted(leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, isr: p.isr)
                            : .refused(p.error.error)
                    }
                }
            }
        } catch {
            logger.info("AlterPartition not answered: \(error)")
        }
        var retry = false
        for q in queued {
            let answer = answers[q.partition] ?? .unanswered
            if case .accepted(_, _, let isr) = answer {
                logger.info("ISR of \(q.partition) is now \(isr)")
            } else {
                logger.info("ISR change of \(q.partition) to \(q.proposal.newIsr): \(answer)")
            }
            if replicas.alterPartitionAnswered(q.partition, q.proposal, answer) { retry = true }
        }
        // An unanswered change is queued again by its state; give the controller a moment before resending.
        if retry { try? await Task.sleep(for: .milliseconds(100)) }
    }
}

extension ReplicaManager {
    /// Hands the controller's answer to a partition's state (inside the log's lock: an accepted shrink can move
    /// the high watermark). Returns whether the state asked to send the change again.
    func alterPartitionAnswered(_ tp: TopicPartition, _ proposal: AlterPartitionProposal, _ answer: AlterPartitionAnswer) -> Bool {
        var resend = false
        var advanced = false
        do {
            guard let handle = try logs.log(tp, now: clock()) else { return false }
            try handle.withLog { log in
                let step = roles.withLeader(tp, log: log) { step in
                    step.actions = step.led.state.alterPartitionAnswered(proposal, answer)
                    return step.actions.contains { if case .sendAlterPartition = $0 { true } else { false } }
                }
                resend = step?.value ?? false
                advanced = step?.advanced ?? false
            }
        } catch {
            logger.error("applying the AlterPartition answer for \(tp) failed: \(error)")
        }
        if advanced { notifier.notify(tp) }
        return resend
    }
}
