import KafkaClient
import KafkaProtocol
import NIOCore
import Testing
@testable import tributary

@Suite struct TopicsInvocationTests {
    @Test func quickstartCreateLine() throws {
        let inv = try TopicsInvocation.parse(["--create", "--topic", "quickstart-events", "--bootstrap-server", "localhost:9092"])
        #expect(inv.action == .create)
        #expect(inv.topic == "quickstart-events")
        #expect(inv.bootstrapServer == "localhost:9092")
        #expect(inv.partitions == nil && inv.replicationFactor == nil)
    }

    @Test func repeatedConfigsAndEqualsForm() throws {
        let inv = try TopicsInvocation.parse([
            "--bootstrap-server=localhost:1", "--create", "--topic", "t", "--partitions", "3", "--replication-factor", "1",
            "--config", "cleanup.policy=compact", "--config", " retention.ms = 1000 ", "--if-not-exists",
        ])
        #expect(inv.partitions == 3)
        #expect(inv.replicationFactor == 1)
        #expect(inv.configs == ["cleanup.policy": "compact", "retention.ms": "1000"])
        #expect(inv.ifNotExists)
    }

    @Test func refusalsMatchTopicCommand() {
        #expect(throws: TopicsInvocation.Stop.usage("Create, delete, describe, or change a topic.")) { try TopicsInvocation.parse([]) }
        #expect(throws: TopicsInvocation.Stop.usage("Command must include exactly one action: --list, --describe, --create, --alter or --delete")) {
            try TopicsInvocation.parse(["--list", "--describe", "--bootstrap-server", "x:1"])
        }
        #expect(throws: TopicsInvocation.Stop.invalid("--bootstrap-server must be specified")) { try TopicsInvocation.parse(["--list"]) }
        #expect(throws: TopicsInvocation.Stop.usage("Missing required argument \"[topic]\"")) {
            try TopicsInvocation.parse(["--create", "--bootstrap-server", "x:1"])
        }
        #expect(throws: TopicsInvocation.Stop.usage("Option \"[if-not-exists]\" can't be used with option \"[delete]\"")) {
            try TopicsInvocation.parse(["--delete", "--topic", "t", "--if-not-exists", "--bootstrap-server", "x:1"])
        }
        #expect(throws: TopicsInvocation.Stop.invalid("requirement failed: Invalid topic config: all configs to be added must be in the format \"key=val\".")) {
            try TopicsInvocation.parse(["--create", "--topic", "t", "--config", "novalue", "--bootstrap-server", "x:1"])
        }
        #expect(throws: TopicsInvocation.Stop.invalid("nope is not a recognized option")) {
            try TopicsInvocation.parse(["--list", "--nope", "--bootstrap-server", "x:1"])
        }
        do {
            _ = try TopicsInvocation.parse(["--help"])
            Issue.record("--help must stop with help")
        } catch {
            guard case .help = error else { Issue.record("--help stopped with \(error)"); return }
        }
    }

    @Test func topicSelectionIsAWholeMatchRegexWithCommas() throws {
        let all: [(name: String, internal: Bool)] = [("orders", false), ("orders-v2", false), ("payments", false), ("__consumer_offsets", true)]
        var inv = try TopicsInvocation.parse(["--list", "--bootstrap-server", "x:1"])
        #expect(inv.selectTopics(all) == ["__consumer_offsets", "orders", "orders-v2", "payments"])
        inv.topic = "orders"
        #expect(inv.selectTopics(all) == ["orders"])
        inv.topic = "orders.*,payments"
        #expect(inv.selectTopics(all) == ["orders", "orders-v2", "payments"])
        inv.topic = nil
        inv.excludeInternal = true
        #expect(inv.selectTopics(all) == ["orders", "orders-v2", "payments"])
    }
}

@Suite struct TopicsFormatTests {
    let topic = TopicInfo(
        name: "quickstart-events", topicId: KafkaUUID(base64: "NPmZHyhbR9y00wMglMH2sg")!, isInternal: false,
        partitions: [
            PartitionInfo(partition: 0, leader: 1, leaderEpoch: 0, replicas: [1, 2, 3], isr: [1, 3], offlineReplicas: [], error: .none),
            PartitionInfo(partition: 1, leader: -1, leaderEpoch: 0, replicas: [2, 3, 1], isr: [], offlineReplicas: [], error: .none),
        ], error: .none)

    @Test func topicLineShowsOnlyNonDefaultConfigs() {
        let configs = [
            ConfigEntry(name: "cleanup.policy", value: "compact", source: .dynamicTopicConfig),
            ConfigEntry(name: "retention.ms", value: "604800000", source: .defaultConfig),
            ConfigEntry(name: "segment.bytes", value: "1073741824", source: .staticBrokerConfig),
        ]
        #expect(TopicsFormat.topicLine(topic, configs: configs)
            == "Topic: quickstart-events\tTopicId: NPmZHyhbR9y00wMglMH2sg\tPartitionCount: 2\tReplicationFactor: 3\tConfigs: cleanup.policy=compact,segment.bytes=1073741824")
    }

    @Test func zeroTopicIdIsLeftOut() {
        var t = topic
        t.topicId = .zero
        #expect(TopicsFormat.topicLine(t, configs: []) == "Topic: quickstart-events\tPartitionCount: 2\tReplicationFactor: 3\tConfigs: ")
    }

    @Test func partitionLines() {
        #expect(TopicsFormat.partitionLine(topic: topic.name, topic.partitions[0])
            == "\tTopic: quickstart-events\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,3")
        #expect(TopicsFormat.partitionLine(topic: topic.name, topic.partitions[1])
            == "\tTopic: quickstart-events\tPartition: 1\tLeader: none\tReplicas: 2,3,1\tIsr: ")
        #expect(TopicsFormat.isUnderReplicated(topic.partitions[0]))
    }
}

@Suite struct ConsoleToolsTests {
    func record(key: String?, value: String?, headers: [RecordHeader] = []) -> ConsumerRecord {
        ConsumerRecord(topic: "t", partition: 2, offset: 42, timestamp: 1_700_000_000_123, timestampType: .createTime,
                       key: key.map { ByteBuffer(string: $0) }, value: value.map { ByteBuffer(string: $0) },
                       headers: headers, leaderEpoch: 0)
    }

    @Test func defaultFormatIsTheValueAndANewline() {
        #expect(ConsoleRecordFormatter().format(record(key: "k", value: "v")) == "v\n")
    }

    @Test func allColumnsInKafkasOrder() {
        let f = ConsoleRecordFormatter(properties: [
            "print.timestamp": "true", "print.partition": "true", "print.offset": "true", "print.key": "true",
            "print.headers": "true", "key.separator": " | ",
        ])
        let h = [RecordHeader(key: "a", value: ByteBuffer(string: "1")), RecordHeader(key: "b", value: nil)]
        #expect(f.format(record(key: nil, value: "v", headers: h)) == "CreateTime:1700000000123 | Partition:2 | Offset:42 | a:1,b:null | null | v\n")
        #expect(f.format(record(key: "k", value: nil)) == "CreateTime:1700000000123 | Partition:2 | Offset:42 | NO_HEADERS | k | null\n")
    }

    @Test func lineReaderSplitsAtTheFirstSeparator() throws {
        let r = try ConsoleLineReader(properties: ["parse.key": "true", "key.separator": ":"])
        #expect(try r.record("user-1:a:b", lineNumber: 1) == ConsoleLine(key: "user-1", value: "a:b"))
        #expect(throws: ConsoleLineReader.Refused(description: "No key separator found on line number 3: 'nokey'")) {
            try r.record("nokey", lineNumber: 3)
        }
        #expect(try ConsoleLineReader().record("a\tb", lineNumber: 1) == ConsoleLine(key: nil, value: "a\tb"))
        let lenient = try ConsoleLineReader(properties: ["parse.key": "true", "ignore.error": "true"])
        #expect(try lenient.record("nokey", lineNumber: 1) == ConsoleLine(key: nil, value: "nokey"))
    }

    @Test func lineReaderHeadersKeysAndNullMarker() throws {
        let r = try ConsoleLineReader(properties: ["parse.headers": "true", "parse.key": "true", "null.marker": "<null>"])
        #expect(try r.record("h1:v1,h2:<null>\tk\tthe value", lineNumber: 1)
            == ConsoleLine(key: "k", value: "the value", headers: [.init(key: "h1", value: "v1"), .init(key: "h2", value: nil)]))
        #expect(try r.record("<null>\t<null>\t<null>", lineNumber: 2) == ConsoleLine(key: nil, value: nil))
        #expect(throws: ConsoleLineReader.Refused(description: "No header key separator found in pair 'bad' on line number 4")) {
            try r.record("bad\tk\tv", lineNumber: 4)
        }
        #expect(throws: ConsoleLineReader.Refused(description: "No headers delimiter found on line number 5: 'plain'")) {
            try r.record("plain", lineNumber: 5)
        }
        #expect(throws: ConsoleLineReader.Refused(description: "headers.delimiter and headers.separator may not be equal")) {
            try ConsoleLineReader(properties: ["headers.separator": "\t"])
        }
    }

    @Test func consoleProducerDefaultsAndOverrides() throws {
        let inv = try ConsoleProducerInvocation.parse([
            "--topic", "t", "--bootstrap-server", "h:1", "--property", "parse.key=true",
            "--producer-property", "acks=1", "--producer-property", "linger.ms=5",
        ])
        #expect(inv.properties == ["parse.key": "true"])
        #expect(inv.producerProperties == ["acks": "1", "linger.ms": "5", "request.timeout.ms": "1500"])
        var config = ProducerConfig(client: try KafkaClientConfig(bootstrap: inv.bootstrapServer))
        #expect(try config.apply(inv.producerProperties + ["bogus.key": "1"]) == ["bogus.key"])
        #expect(config.acks == .leader && config.lingerMs == 5 && config.client.requestTimeoutMs == 1500)
    }

    @Test func bareCompressionCodecIsGzip() throws {
        let bare = try ConsoleProducerInvocation.parse(["--compression-codec", "--topic", "t", "--bootstrap-server", "h:1"])
        #expect(bare.producerProperties["compression.type"] == "gzip")
        let named = try ConsoleProducerInvocation.parse(["--topic", "t", "--bootstrap-server", "h:1", "--compression-codec", "zstd"])
        #expect(named.producerProperties["compression.type"] == "zstd")
    }

    @Test func consoleConsumerStartOffsets() throws {
        #expect(try ConsoleConsumerInvocation.parse(["--topic", "t", "--bootstrap-server", "h:1"]).start == .latest)
        #expect(try ConsoleConsumerInvocation.parse(["--topic", "t", "--bootstrap-server", "h:1", "--from-beginning"]).start == .earliest)
        let p = try ConsoleConsumerInvocation.parse(["--topic", "t", "--bootstrap-server", "h:1", "--partition", "1", "--offset", "7", "--max-messages", "3"])
        #expect(p.partition == 1 && p.start == .offset(7) && p.maxMessages == 3)
        #expect(throws: TopicsInvocation.Stop.usage("The partition is required when offset is specified.")) {
            try ConsoleConsumerInvocation.parse(["--topic", "t", "--bootstrap-server", "h:1", "--offset", "7"])
        }
        #expect(throws: TopicsInvocation.Stop.usage("Options from-beginning and offset cannot be specified together.")) {
            try ConsoleConsumerInvocation.parse(["--topic", "t", "--bootstrap-server", "h:1", "--partition", "0", "--offset", "1", "--from-beginning"])
        }
        #expect(throws: TopicsInvocation.Stop.usage("The provided offset value 'x' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.")) {
            try ConsoleConsumerInvocation.parse(["--topic", "t", "--bootstrap-server", "h:1", "--partition", "0", "--offset", "x"])
        }
    }
}

private func + (a: [String: String], b: [String: String]) -> [String: String] { a.merging(b) { _, new in new } }
