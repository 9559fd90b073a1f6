import Foundation
import KafkaMetadata
import KafkaProtocol
@testable import KafkaServer
import Logging
import NIOCore
import Synchronization
import Testing

/// The controller listener's own APIs against what a real Kafka 3.7.1 cluster sent its controllers
/// (`../shared/kafka-captures/frames/kraft-cluster/ctrl-N`): the lifecycle requests survive the trip through our
/// command specs byte for byte, and forwarded admin requests inside Envelope are served and answered inside one.
@Suite struct ControllerListenerTests {
    static let framesRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }  // Tests/KafkaServerTests/File.swift -> parent of the repo
        return url.appendingPathComponent("shared/kafka-captures/frames/kraft-cluster").path
    }()

    struct Captured: Decodable, CustomStringConvertible {
        var file: String
        var dir: String
        var api_key: Int16
        var api_version: Int16
        var folder = ""
        enum CodingKeys: String, CodingKey { case file, dir, api_key, api_version }
        var description: String { "\(folder)/\(file)" }
        /// The frame without its size prefix.
        func bytes() throws -> ByteBuffer {
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(ControllerListenerTests.framesRoot)/\(folder)/\(file)"))
            var buffer = ByteBuffer(bytes: data)
            buffer.moveReaderIndex(forwardBy: 4)
            return buffer
        }
    }

    /// The frames of one API and direction that the controllers received or sent.
    static func frames(_ api: ApiKey, _ dir: String) -> [Captured] {
        var out: [Captured] = []
        for folder in ["ctrl-1", "ctrl-2", "ctrl-3"] {
            guard let data = FileManager.default.contents(atPath: "\(framesRoot)/\(folder)/index.json"),
                  let list = try? JSONDecoder().decode([Captured].self, from: data) else { continue }
            for var f in list where f.api_key == api.rawValue && f.dir == dir {
                f.folder = folder
                out.append(f)
            }
        }
        return out
    }

    static func body(_ request: any KafkaRequest, version: Int16) throws -> ByteBuffer {
        var b = ByteBuffer()
        try request.encode(into: &b, version: version)
        return b
    }

    static func body(_ response: any KafkaResponse, version: Int16) throws -> ByteBuffer {
        var b = ByteBuffer()
        try response.encode(into: &b, version: version)
        return b
    }

    @Test func everyLifecycleFrameIsCaptured() {
        for (api, version) in [(ApiKey.brokerRegistration, Int16(3)), (.brokerHeartbeat, 1), (.allocateProducerIds, 0), (.envelope, 0)] {
            #expect(Self.frames(api, "req").contains { $0.api_version == version }, "no \(api) v\(version) request captured")
            #expect(!Self.frames(api, "resp").isEmpty, "no \(api) response captured")
        }
    }

    /// A captured BrokerRegistration becomes our spec and back into the same bytes; so does its response.
    @Test func brokerRegistrationSurvivesTheSpec() throws {
        for frame in Self.frames(.brokerRegistration, "req") {
            let parsed = try RequestFrame(parsing: try frame.bytes())
            let request = try #require(try parsed.decodeBody().0 as? BrokerRegistrationRequest)
            let rebuilt = BrokerRegistrationRequest(spec: request.spec, clusterId: request.clusterId)
            #expect(try Self.body(rebuilt, version: frame.api_version) == Self.body(request, version: frame.api_version), "\(frame)")
        }
        for frame in Self.frames(.brokerRegistration, "resp") {
            let parsed = try ResponseFrame(parsing: try frame.bytes(), apiKey: .brokerRegistration, version: frame.api_version)
            let response = try #require(parsed.body as? BrokerRegistrationResponse)
            #expect(try Self.body(BrokerRegistrationResponse(result: response.result), version: frame.api_version)
                == Self.body(response, version: frame.api_version), "\(frame)")
        }
    }

    @Test func brokerHeartbeatSurvivesTheSpec() throws {
        for frame in Self.frames(.brokerHeartbeat, "req") {
            let parsed = try RequestFrame(parsing: try frame.bytes())
            let request = try #require(try parsed.decodeBody().0 as? BrokerHeartbeatRequest)
            #expect(try Self.body(BrokerHeartbeatRequest(spec: request.spec), version: frame.api_version)
                == Self.body(request, version: frame.api_version), "\(frame)")
        }
        for frame in Self.frames(.brokerHeartbeat, "resp") {
            let parsed = try ResponseFrame(parsing: try frame.bytes(), apiKey: .brokerHeartbeat, version: frame.api_version)
            let response = try #require(parsed.body as? BrokerHeartbeatResponse)
            #expect(try Self.body(BrokerHeartbeatResponse(result: response.result), version: frame.api_version)
                == Self.body(response, version: frame.api_version), "\(frame)")
        }
    }

    @Test func allocateProducerIdsResponseSurvivesTheBlock() throws {
        for frame in Self.frames(.allocateProducerIds, "resp") {
            let parsed = try ResponseFrame(parsing: try frame.bytes(), apiKey: .allocateProducerIds, version: frame.api_version)
            let response = try #require(parsed.body as? AllocateProducerIdsResponse)
            #expect(try Self.body(AllocateProducerIdsResponse(block: response.block), version: frame.api_version)
                == Self.body(response, version: frame.api_version), "\(frame)")
        }
    }

    /// Kafka 3.7's leaders sent AlterPartition v3 as followers rejoined ISRs: requests and responses survive our
    /// spec and result byte for byte.
    @Test func alterPartitionSurvivesTheSpec() throws {
        let requests = Self.frames(.alterPartition, "req")
        #expect(!requests.isEmpty, "no AlterPartition request captured")
        for frame in requests {
            let parsed = try RequestFrame(parsing: try frame.bytes())
            let request = try #require(try parsed.decodeBody().0 as? AlterPartitionRequest)
            let spec = request.spec(version: frame.api_version)
            #expect(spec.topics.allSatisfy { $0.partitions.allSatisfy { !$0.newIsrWithEpochs.isEmpty } }, "\(frame)")
            #expect(try Self.body(AlterPartitionRequest(spec: spec), version: frame.api_version)
                == Self.body(request, version: frame.api_version), "\(frame)")
        }
        // The versions Kafka 3.7 no longer sent: by name before 2, the ISR without epochs (-1) before 3.
        for version: Int16 in 0...2 {
            let topic: AlterPartitionSpec.TopicReference = version >= 2 ? .id(KafkaUUID(mostSignificantBits: 3, leastSignificantBits: 4)) : .name("t")
            let spec = AlterPartitionSpec(brokerId: 2, brokerEpoch: 40, topics: [
                .init(topic: topic, partitions: [.init(partitionIndex: 1, leaderEpoch: 5, newIsrWithEpochs: [.init(brokerId: 2), .init(brokerId: 3)],
                                                       partitionEpoch: 9)]),
            ], apiVersion: version)
            var wire = try Self.body(AlterPartitionRequest(spec: spec), version: version)
            #expect(try AlterPartitionRequest(from: &wire, version: version).spec(version: version) == spec, "v\(version)")
        }
        for frame in Self.frames(.alterPartition, "resp") {
            let parsed = try ResponseFrame(parsing: try frame.bytes(), apiKey: .alterPartition, version: frame.api_version)
            let response = try #require(parsed.body as? AlterPartitionResponse)
            #expect(try Self.body(AlterPartitionResponse(result: response.result(version: frame.api_version)), version: frame.api_version)
                == Self.body(response, version: frame.api_version), "\(frame)")
        }
    }

    /// ElectLeaders (key 43) on the controller listener: a forwarded request reaches the controller as its spec, the
    /// result goes back as the response, and both survive the wire; version 0 has no top-level error code.
    @Test func electLeadersIsServedAndSurvivesTheWire() async throws {
        let spec = ElectLeadersSpec(electionType: 1, topics: [.init(topic: "t", partitions: [0, 2])])
        for version: Int16 in 1...2 {
            var wire = try Self.body(ElectLeadersRequest(spec: spec), version: version)
            #expect(try ElectLeadersRequest(from: &wire, version: version).spec == spec, "v\(version)")
        }
        let all = ElectLeadersSpec(topics: nil)
        var wire = try Self.body(ElectLeadersRequest(spec: all), version: 0)
        #expect(try ElectLeadersRequest(from: &wire, version: 0).spec == all)

        let refused = ApiError(.notController, "not me")
        let result = ElectLeadersResult(error: ApiError(.notController), topics: [
            .init(topic: "t", partitions: [.init(partitionId: 0, error: refused), .init(partitionId: 2)]),
        ])
        var response = try Self.body(ElectLeadersResponse(result: result, version: 2), version: 2)
        #expect(try ElectLeadersResponse(from: &response, version: 2).result == result)
        let v0 = ElectLeadersResponse(result: result, version: 0)
        #expect(v0.errorCode == 0 && v0.replicaElectionResults[0].partitionResult[0].errorCode == KafkaError.notController.code)
        _ = try Self.body(v0, version: 0)

        let channel = RecordingChannel()
        let router = ControllerHandlers.router(raft: [], commands: ControllerHandlers.commands(channel, clusterId: Self.clusterId))
        var framed = ByteBuffer()
        try KafkaFrame.encodeRequest(ElectLeadersRequest(spec: spec), version: 2, correlationId: 3, clientId: "admin", into: &framed)
        framed.moveReaderIndex(forwardBy: 4)
        guard case .respond(let r) = await Self.route(router, framed), let body = r as? ElectLeadersResponse else {
            Issue.record("no ElectLeaders response")
            return
        }
        #expect(body.errorCode == 0 && body.replicaElectionResults.map(\.topic) == ["t"])
        #expect(body.replicaElectionResults[0].partitionResult.map(\.partitionId) == [0, 2])
        let sent = channel.commands.withLock { $0 }
        guard sent.count == 1, case .electLeaders(let got) = sent[0] else { Issue.record("\(sent)"); return }
        #expect(got == spec)
    }

    /// Records every command and answers each with a success of its kind.
    final class RecordingChannel: ControllerChannel {
        let commands = Mutex<[ControllerCommand]>([])

        func submit(_ command: ControllerCommand) async throws -> ControllerReply {
            commands.withLock { $0.append(command) }
            switch command {
            case .createTopics(let specs, _):
                return .createTopics(specs.map { CreateTopicResult(name: $0.name, topicId: KafkaUUID(mostSignificantBits: 1, leastSignificantBits: 2), numPartitions: 1, replicationFactor: 1) })
            case .deleteTopics(let specs, _):
                return .deleteTopics(specs.map { DeleteTopicResult(name: $0.name, topicId: $0.topicId) })
            case .registerBroker:
                return .brokerRegistration(BrokerRegistrationResult(brokerEpoch: 42))
            case .brokerHeartbeat:
                return .brokerHeartbeat(BrokerHeartbeatResult(isCaughtUp: true, isFenced: false))
            case .allocateProducerIds:
                return .producerIds(ProducerIdBlock(error: .none, firstProducerId: 1000, count: 1000))
            case .alterPartition:
                return .alterPartition(AlterPartitionResult())
            case .createPartitions(let specs, _):
                return .createPartitions(specs.map { CreatePartitionsResult(name: $0.name) })
            case .electLeaders(let spec):
                return .electLeaders(ElectLeadersResult(topics: (spec.topics ?? []).map {
                    .init(topic: $0.topic, partitions: $0.partitions.map { .init(partitionId: $0) })
                }))
            case .incrementalAlterConfigs, .alterConfigs:
                return .alterConfigs([])
            }
        }
    }

    static let clusterId = "captured-cluster"

    static func route(_ router: RequestRouter, _ frame: ByteBuffer) async -> RequestOutcome {
        // swiftlint:disable:next force_try
        let parsed = try! RequestFrame(parsing: frame)
        return await router.route(parsed, clientAddress: "127.0.0.1:1", listenerName: "CONTROLLER", logger: Logger(label: "test"))
    }

    /// The inner response of an Envelope outcome: header (correlation id) and body at the inner request's version.
    static func inner(_ outcome: RequestOutcome, api: ApiKey, version: Int16) throws -> ResponseFrame {
        guard case .respond(let r) = outcome, let envelope = r as? EnvelopeResponse else {
            throw UnexpectedOutcome(outcome: "\(outcome)")
        }
        #expect(envelope.errorCode == 0)
        var framed = ByteBuffer()
        framed.writeImmutableBuffer(try #require(envelope.responseData))
        return try ResponseFrame(parsing: framed, apiKey: api, version: version)
    }

    struct UnexpectedOutcome: Error { var outcome: String }

    /// Kafka's brokers forwarded CreateTopics v7 and DeleteTopics v6 inside Envelope: our controller serves the
    /// embedded request with its own handlers and answers with the embedded response, correlation id and all.
    @Test func capturedEnvelopesAreServed() async throws {
        var served = 0
        for frame in Self.frames(.envelope, "req") {
            let channel = RecordingChannel()
            let router = ControllerHandlers.router(raft: [], commands: ControllerHandlers.commands(channel, clusterId: Self.clusterId))
            let parsed = try RequestFrame(parsing: try frame.bytes())
            let envelope = try #require(try parsed.decodeBody().0 as? EnvelopeRequest)
            let embedded = try RequestFrame(parsing: envelope.requestData)
            let outcome = await Self.route(router, try frame.bytes())
            switch embedded.apiKey {
            case .createTopics?:
                let request = try #require(try embedded.decodeBody().0 as? CreateTopicsRequest)
                let response = try Self.inner(outcome, api: .createTopics, version: embedded.apiVersion)
                #expect(response.header.correlationId == embedded.header.correlationId)
                let body = try #require(response.body as? CreateTopicsResponse)
                #expect(body.topics.map(\.name) == request.topics.map(\.name), "\(frame)")
                #expect(body.topics.allSatisfy { $0.errorCode == 0 })
                #expect(channel.commands.withLock { $0.count } == 1)
                served += 1
            case .deleteTopics?:
                let request = try #require(try embedded.decodeBody().0 as? DeleteTopicsRequest)
                let response = try Self.inner(outcome, api: .deleteTopics, version: embedded.apiVersion)
                let body = try #require(response.body as? DeleteTopicsResponse)
                #expect(body.responses.map(\.name) == request.topics.map(\.name), "\(frame)")
                #expect(channel.commands.withLock { $0.count } == 1)
                served += 1
            default:
                // ListPartitionReassignments and DescribeQuorum: not among this router's commands (DescribeQuorum is
                // the raft handler's, absent here); refused inside the envelope, nothing run.
                guard case .respond(let r) = outcome, let response = r as? EnvelopeResponse else {
                    Issue.record("\(frame): \(outcome)")
                    continue
                }
                #expect(response.errorCode == KafkaError.invalidRequest.code, "\(frame)")
                #expect(channel.commands.withLock { $0.isEmpty })
            }
        }
        #expect(served >= 4, "captured forwarded CreateTopics/DeleteTopics envelopes")
    }

    /// Envelopes that cannot be served get an envelope error and run nothing: garbage inside, an envelope inside an
    /// envelope, and a version the embedded API does not serve.
    @Test func badEnvelopesAreRefused() async throws {
        let channel = RecordingChannel()
        let router = ControllerHandlers.router(raft: [], commands: ControllerHandlers.commands(channel, clusterId: Self.clusterId))

        func envelopeFrame(_ data: ByteBuffer) throws -> ByteBuffer {
            var envelope = EnvelopeRequest()
            envelope.requestData = data
            envelope.clientHostAddress = ByteBuffer(bytes: [127, 0, 0, 1])
            var framed = ByteBuffer()
            try KafkaFrame.encodeRequest(envelope, version: 0, correlationId: 9, clientId: "1", into: &framed)
            framed.moveReaderIndex(forwardBy: 4)
            return framed
        }
        func embedded<R: KafkaRequest>(_ request: R, version: Int16) throws -> ByteBuffer {
            var framed = ByteBuffer()
            try KafkaFrame.encodeRequest(request, version: version, correlationId: 5, clientId: "adminclient-1", into: &framed)
            framed.moveReaderIndex(forwardBy: 4)
            return framed
        }
        func envelopeError(_ outcome: RequestOutcome) -> Int16? {
            guard case .respond(let r) = outcome, let response = r as? EnvelopeResponse else { return nil }
            return response.errorCode
        }

        #expect(envelopeError(await Self.route(router, try envelopeFrame(ByteBuffer(bytes: [0, 19, 0])))) == KafkaError.invalidRequest.code)
        let nested = try envelopeFrame(try embedded(CreateTopicsRequest(), version: 7))
        var inner = EnvelopeRequest()
        inner.requestData = nested
        #expect(envelopeError(await Self.route(router, try envelopeFrame(try embedded(inner, version: 0)))) == KafkaError.invalidRequest.code)
        var tooNew = try embedded(CreateTopicsRequest(), version: 7)
        tooNew.setInteger(Int16(99), at: tooNew.readerIndex + 2)
        #expect(envelopeError(await Self.route(router, try envelopeFrame(tooNew))) != 0)
        #expect(channel.commands.withLock { $0.isEmpty })

        // And a good one is served after them: the listener's state was not disturbed.
        var create = CreateTopicsRequest()
        var topic = CreateTopicsRequest.CreatableTopic()
        topic.name = "after-bad-envelopes"
        create.topics = [topic]
        let response = try Self.inner(await Self.route(router, try envelopeFrame(try embedded(create, version: 7))),
                                      api: .createTopics, version: 7)
        #expect((response.body as? CreateTopicsResponse)?.topics.first?.name == "after-bad-envelopes")
        #expect(channel.commands.withLock { $0.count } == 1)
    }

    /// A registration from another cluster is refused with INCONSISTENT_CLUSTER_ID and never reaches the controller.
    @Test func registrationFromAnotherClusterIsRefused() async throws {
        let channel = RecordingChannel()
        let router = ControllerHandlers.router(raft: [], commands: ControllerHandlers.commands(channel, clusterId: Self.clusterId))
        let frame = try #require(Self.frames(.brokerRegistration, "req").first)
        let outcome = await Self.route(router, try frame.bytes())
        guard case .respond(let r) = outcome, let response = r as? BrokerRegistrationResponse else {
            Issue.record("\(outcome)")
            return
        }
        #expect(response.errorCode == KafkaError.inconsistentClusterId.code)
        #expect(channel.commands.withLock { $0.isEmpty })
    }
}
