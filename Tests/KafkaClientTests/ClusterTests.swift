import KafkaProtocol
import NIOCore
import Testing
@testable import KafkaClient

@Suite struct BootstrapParsingTests {
    @Test func listWithBlanksAndIPv6() throws {
        let list = try BrokerAddress.parseList(" localhost:9092, 10.0.0.2:9093 ,,[::1]:9094")
        #expect(list == [BrokerAddress(host: "localhost", port: 9092), BrokerAddress(host: "10.0.0.2", port: 9093),
                         BrokerAddress(host: "::1", port: 9094)])
        #expect(list[2].description == "[::1]:9094")
    }

    @Test(arguments: ["", "localhost", "localhost:", "localhost:99999", ":9092", "host:port"])
    func refused(_ text: String) {
        #expect(throws: KafkaClientError.self) { try BrokerAddress.parseList(text) }
    }
}

@Suite struct ApiVersionTableTests {
    @Test func highestVersionBothSpeak() {
        let t = ApiVersionTable(ranges: [ApiKey.metadata.rawValue: 0...9, ApiKey.produce.rawValue: 7...13, ApiKey.fetch.rawValue: 0...3])
        #expect(t.usableVersion(.metadata, ours: 1...12) == 9)
        // The broker's 13 is past what the client builds: the client's own cap wins.
        #expect(t.usableVersion(.produce, ours: ApiKey.produce.clientVersions) == 12)
        // No overlap, and an API the broker does not list.
        #expect(t.usableVersion(.fetch, ours: 4...12) == nil)
        #expect(t.usableVersion(.createTopics, ours: 0...7) == nil)
    }

    @Test func fromResponseDropsEmptyRanges() {
        var r = ApiVersionsResponse()
        var a = ApiVersionsResponse.ApiVersion()
        a.apiKey = ApiKey.listOffsets.rawValue
        a.minVersion = 3
        a.maxVersion = 2
        r.apiKeys = [a]
        #expect(ApiVersionTable(r).usableVersion(.listOffsets, ours: 0...11) == nil)
    }
}

@Suite struct RetryBackoffTests {
    @Test func exponentialCappedWithTwentyPercentJitter() {
        let b = RetryBackoff(initialMs: 100, maxMs: 1000)
        #expect(b.delayMs(attempt: 0, unit: 0.5) == 100)
        #expect(b.delayMs(attempt: 1, unit: 0.5) == 200)
        #expect(b.delayMs(attempt: 3, unit: 0.5) == 800)
        #expect(b.delayMs(attempt: 4, unit: 0.5) == 1000)
        #expect(b.delayMs(attempt: 60, unit: 0.5) == 1000)
        #expect(b.delayMs(attempt: 0, unit: 0) == 80)
        #expect(b.delayMs(attempt: 0, unit: 0.999_999) == 120)
    }
}

@Suite struct ClusterMetadataTests {
    func response(leader: Int32) -> MetadataResponse {
        var r = MetadataResponse()
        var b = MetadataResponse.MetadataResponseBroker()
        b.nodeId = 1
        b.host = "h1"
        b.port = 9092
        var b2 = b
        b2.nodeId = 2
        b2.host = "h2"
        r.brokers = [b, b2]
        r.controllerId = 2
        var t = MetadataResponse.MetadataResponseTopic()
        t.name = "orders"
        var p1 = MetadataResponse.MetadataResponsePartition()
        p1.partitionIndex = 1
        p1.leaderId = leader
        p1.replicaNodes = [1, 2]
        p1.isrNodes = [leader]
        var p0 = p1
        p0.partitionIndex = 0
        p0.leaderId = 7  // not a listed broker
        t.partitions = [p1, p0]
        r.topics = [t]
        return r
    }

    @Test func partitionsSortedAndLeadersMustBeListedBrokers() {
        let m = ClusterMetadata(response(leader: 2))
        #expect(m.topics["orders"]?.partitions.map(\.partition) == [0, 1])
        #expect(m.leader(of: "orders", partition: 1) == 2)
        #expect(m.leader(of: "orders", partition: 0) == nil)
        #expect(m.brokers[1] == BrokerAddress(host: "h1", port: 9092))
    }

    @Test func mergeReplacesAnsweredTopicsOnly() {
        var m = ClusterMetadata(response(leader: 2))
        m.topics["other"] = TopicInfo(name: "other", topicId: .zero, isInternal: false, partitions: [], error: .none)
        m.merge(ClusterMetadata(response(leader: 1)))
        #expect(m.leader(of: "orders", partition: 1) == 1)
        #expect(m.topics["other"] != nil)
    }

    @Test func leaderMovesAreRetriableAndRefreshMetadata() {
        let e = KafkaClientError.broker(.notLeaderOrFollower, message: nil, broker: 1, context: "partition orders-0")
        #expect(e.isRetriable && e.invalidatesMetadata)
        #expect(e.description == "NOT_LEADER_OR_FOLLOWER for partition orders-0 (broker 1)")
        let fatal = KafkaClientError.broker(.topicAlreadyExists, message: "Topic 'x' already exists.", broker: 1, context: "topic x")
        #expect(!fatal.isRetriable)
        #expect(fatal.description == "TOPIC_ALREADY_EXISTS for topic x (broker 1): Topic 'x' already exists.")
    }
}
