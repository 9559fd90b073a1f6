import Foundation
import KafkaMetadata
import KafkaProtocol
import KafkaStorage
import Logging
import Synchronization
import Testing

@testable import KafkaServer

/// The in-process controller channel against a real metadata log in a temporary directory.
@Suite struct MetadataDriverTests {
    /// Every commit the driver reported.
    final class Commits: Sendable {
        let list = Mutex<[MetadataDelta]>([])
        var last: MetadataDelta? { list.withLock { $0.last } }
    }

    static func open(_ dir: String, commits: Commits? = nil) throws -> MetadataDriver {
        try MetadataDriver(
            directory: dir + "/__cluster_metadata-0", cache: FileHandleCache(fileSystem: PosixFileSystem()),
            configuration: ControllerConfiguration(), clock: { 1_000 }, logger: Logger(label: "test"),
            onCommit: { commit in commits?.list.withLock { $0.append(commit) } })
    }

    static func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "tributary-driver-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static let spec = BrokerRegistrationSpec(
        brokerId: 1, incarnationId: KafkaUUID(mostSignificantBits: 1, leastSignificantBits: 2),
        listeners: [.init(name: "PLAINTEXT", host: "localhost", port: 9092, securityProtocol: 0)],
        supportedFeatures: [.init(name: MetadataVersion.featureName, minVersion: 1, maxVersion: MetadataVersion.latestProduction.featureLevel)])

    @Test func commandsWaitingTogetherShareOneAppendAndRepliesFollowTheCommit() async throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let commits = Commits()
        let driver = try Self.open(dir, commits: commits)
        #expect(try await driver.bootstrapIfEmpty())
        let registration = try await driver.registerBroker(Self.spec, fenced: true)
        #expect(registration.brokerEpoch == 1)  // the bootstrap record is offset 0
        let heartbeat = try await driver.brokerHeartbeat(
            BrokerHeartbeatSpec(brokerId: 1, brokerEpoch: 1, currentMetadataOffset: driver.cache.offset))
        #expect(heartbeat == BrokerHeartbeatResult(isCaughtUp: true, isFenced: false))
        let appendsBefore = await driver.appends

        await driver.hold()
        let names = (0..<20).map { "topic-\($0)" } + ["topic-0"]
        let cache = driver.cache
        let replies = try await withThrowingTaskGroup(of: (String, CreateTopicResult, Bool).self) { group in
            for name in names {
                group.addTask {
                    let r = try await driver.createTopics([CreateTopicSpec(name: name, numPartitions: 2)])
                    // The reply comes after the commit: the published image already has the topic.
                    return (name, r[0], cache.image.topic(named: name) != nil)
                }
            }
            var waited = 0
            while await driver.waiting < names.count && waited < 2_000 {
                try await Task.sleep(for: .milliseconds(5))
                waited += 1
            }
            #expect(await driver.waiting == names.count)
            await driver.release()
            var out: [(String, CreateTopicResult, Bool)] = []
            for try await r in group { out.append(r) }
            return out
        }
        #expect(await driver.appends == appendsBefore + 1)
        #expect(replies.allSatisfy { $0.2 })
        // The second topic-0 ran against the image the first left: exactly one of the two was created.
        let zero: [KafkaError] = replies.filter { $0.0 == "topic-0" }.map { $0.1.error.error }
        #expect(zero.sorted { $0.code < $1.code } == [KafkaError.none, KafkaError.topicAlreadyExists])
        #expect(replies.filter { $0.1.error.isSuccess }.count == 20)
        let last = try #require(commits.last)
        #expect(last.recordCount == 20 * 3)  // TopicRecord and two PartitionRecords each
        #expect(last.image.topicsById.count == 20 && last.createdTopics.count == 20 && last.partitionChanges.count == 40)

        // The log replays to the same image.
        let image = await driver.image
        try await driver.close()
        let reopened = try Self.open(dir)
        #expect(await reopened.image.topicsById == image.topicsById)
        try await reopened.close()
    }

    @Test func aStaleBrokerIsFencedByTheTickAndReportsItself() async throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let now = Mutex<Int64>(0)
        let driver = try MetadataDriver(
            directory: dir + "/__cluster_metadata-0", cache: FileHandleCache(fileSystem: PosixFileSystem()),
            configuration: ControllerConfiguration(), sessionTimeoutMs: 500, clock: { now.withLock { $0 } },
            logger: Logger(label: "test"), onCommit: { _ in })
        _ = try await driver.bootstrapIfEmpty()
        let r = try await driver.registerBroker(Self.spec, fenced: false)
        #expect(try await driver.tick() == [])
        now.withLock { $0 = 400 }
        _ = try await driver.brokerHeartbeat(BrokerHeartbeatSpec(brokerId: 1, brokerEpoch: r.brokerEpoch, currentMetadataOffset: driver.cache.offset))
        now.withLock { $0 = 900 }
        #expect(try await driver.tick() == [])
        now.withLock { $0 = 901 }
        #expect(try await driver.tick() == [1])
        #expect(driver.cache.image.brokers[1]?.fenced == true)
        // Its next heartbeat, caught up, unfences it.
        let back = try await driver.brokerHeartbeat(BrokerHeartbeatSpec(brokerId: 1, brokerEpoch: r.brokerEpoch, currentMetadataOffset: driver.cache.offset))
        #expect(!back.isFenced && driver.cache.image.brokers[1]?.fenced == false)
        try await driver.close()
    }

    /// A channel that answers every command with the wrong case.
    struct Confused: ControllerChannel {
        func submit(_ command: ControllerCommand) async throws -> ControllerReply { .producerIds(ProducerIdBlock()) }
    }

    @Test func aMismatchedReplyIsAnErrorNotAnAnswer() async throws {
        await #expect(throws: UnexpectedControllerReply.self) {
            _ = try await Confused().createTopics([CreateTopicSpec(name: "x")])
        }
    }
}
