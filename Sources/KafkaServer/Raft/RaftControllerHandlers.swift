import KafkaProtocol
import KafkaRaft

/// The raft APIs on the controller listener: Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch (of
/// `__cluster_metadata-0`, from voters and observers, the replica in ReplicaState) and FetchSnapshot are handed to
/// the node's core through `RaftDriver.handleRequest` and answered with what it returns; DescribeQuorum with the
/// leader's view. A request the core does not answer within its wait (a long-polled Fetch replaced by a newer
/// one) gets no response: the peer's request timeout covers it, as with Kafka.
struct RaftRequestHandler: ApiHandler {
    let apiKey: ApiKey
    let versions: ClosedRange<Int16>
    let driver: RaftDriver

    func handle(_ request: any KafkaRequest, context: RequestContext) async throws -> RequestOutcome {
        let message: RaftMessage
        do {
            guard let m = try RaftMessage(wire: request), m.isRequest else { return .close(reason: "not a raft request") }
            message = m
        } catch {
            return .close(reason: "\(apiKey.name) request the quorum cannot serve: \(error)")
        }
        guard let answer = await driver.handleRequest(from: message.senderId, message) else {
            // A stopped node drops the connection (the listener does not close accepted connections), so that the
            // peer fails its request at once and reconnects to whatever listens next.
            return await driver.stopReason != nil ? .close(reason: "the raft node stopped") : .noResponse
        }
        guard let response = answer.wireMessage(version: context.apiVersion) as? any KafkaResponse else {
            return .close(reason: "no \(apiKey.name) response")
        }
        return .respond(response)
    }
}

/// DescribeQuorum (key 55), versions 0-1: the leader's view of the quorum (`RaftNode.describeQuorum`).
struct RaftDescribeQuorumHandler: ApiHandler {
    let apiKey = ApiKey.describeQuorum
    let versions: ClosedRange<Int16> = 0...1
    let driver: RaftDriver

    func handle(_ request: any KafkaRequest, context: RequestContext) async throws -> RequestOutcome {
        guard let r = request as? DescribeQuorumRequest else { return .close(reason: "not a DescribeQuorum request") }
        let asksForMetadataLog = r.topics.contains { t in
            t.topicName == RaftConfig.topicName && t.partitions.contains { $0.partitionIndex == RaftConfig.partition }
        }
        guard asksForMetadataLog else {
            // Kafka answers a request for any other partition with UNKNOWN_TOPIC_OR_PARTITION.
            var response = DescribeQuorumResponse()
            response.errorCode = KafkaError.unknownTopicOrPartition.rawValue
            return .respond(response)
        }
        return .respond(await driver.describeQuorum())
    }
}

extension RaftRequestHandler {
    /// The router of a controller listener: the raft APIs, the controller's own `commands` (the broker lifecycle
    /// and admin APIs; none for a raft-only node), Envelope when there are commands, and ApiVersions advertising
    /// exactly these.
    static func controllerRouter(driver: RaftDriver, commands: [any ApiHandler] = []) -> RequestRouter {
        ControllerHandlers.router(raft: [
            RaftRequestHandler(apiKey: .vote, versions: 0...0, driver: driver),
            RaftRequestHandler(apiKey: .beginQuorumEpoch, versions: 0...0, driver: driver),
            RaftRequestHandler(apiKey: .endQuorumEpoch, versions: 0...0, driver: driver),
            // 13+: the topic by id; Kafka 3.7's raft client sends 16.
            RaftRequestHandler(apiKey: .fetch, versions: 13...16, driver: driver),
            RaftRequestHandler(apiKey: .fetchSnapshot, versions: 0...0, driver: driver),
            RaftDescribeQuorumHandler(driver: driver),
        ], commands: commands)
    }
}

extension RaftMessage {
    /// The node a request comes from: the candidate, the leader, or the fetching replica.
    var senderId: Int32 {
        switch self {
        case .voteRequest(let r): return r.candidateId
        case .beginQuorumEpochRequest(let r): return r.leaderId
        case .endQuorumEpochRequest(let r): return r.leaderId
        case .fetchRequest(let r): return r.replicaId
        case .fetchSnapshotRequest(let r): return r.replicaId
        default: return -1
        }
    }
}
