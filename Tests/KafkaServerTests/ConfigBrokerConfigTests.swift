import Foundation
import KafkaProtocol
import Testing

@testable import KafkaServer

@Suite("Config: BrokerConfig resolution")
struct ConfigBrokerConfigTests {
    @Test func noConfigurationIsASingleCombinedNode() throws {
        let loaded = try loadConfig()
        let c = loaded.config
        #expect(c.processRoles == [.broker, .controller])
        #expect(c.nodeId == 1)
        #expect(c.listeners.map(\.description) == ["PLAINTEXT://localhost:9092", "CONTROLLER://localhost:9093"])
        #expect(c.advertisedListeners.map(\.description) == ["PLAINTEXT://localhost:9092"])
        #expect(c.controllerListenerNames == ["CONTROLLER"])
        #expect(c.quorumVoters == [QuorumVoter(id: 1, endpoint: HostPort(host: "localhost", port: 9093))])
        #expect(c.logDirs == ["./data"])
        #expect(c.metadataLogDir == "./data")
        #expect(c.interBrokerListenerName == "PLAINTEXT")
        #expect(c.listenerSecurityProtocolMap["CONTROLLER"] == .plaintext)
        #expect(c.isSingleNodeCluster)
        #expect(c.groups.offsetsTopicReplicationFactor == 1)
        #expect(c.transactions.stateLogReplicationFactor == 1)
        #expect(c.transactions.stateLogMinIsr == 1)
        #expect(c.values["offsets.topic.replication.factor"]?.origin == .singleNodeDefault)
        #expect(loaded.notices.contains { $0.contains("single combined broker+controller") })
        #expect(loaded.notices.contains { $0.contains("lowered offsets.topic.replication.factor from 3 to 1") })
        #expect(loaded.warnings.isEmpty)
    }

    @Test func kafkaDefaultsReachTheTypedConfig() throws {
        let c = try loadConfig().config
        #expect(c.topics.numPartitions == 1)
        #expect(c.topics.defaultReplicationFactor == 1)
        #expect(c.network.socketRequestMaxBytes == 104_857_600)
        #expect(c.network.messageMaxBytes == 1_048_588)
        #expect(c.groups.initialRebalanceDelayMs == 3000)
        #expect(c.groups.offsetsRetentionMs == 10080 * 60_000)
        #expect(c.replication.replicaLagTimeMaxMs == 30000)
        let t = c.topicDefaults
        #expect(t.retentionMs == 168 * 3_600_000)
        #expect(t.retentionBytes == -1)
        #expect(t.segmentBytes == 1_073_741_824)
        #expect(t.segmentMs == 168 * 3_600_000)
        #expect(t.maxMessageBytes == 1_048_588)
        #expect(t.cleanupPolicy == ["delete"] && t.deletes && !t.compacts)
        #expect(t.compression == .producer)
        #expect(t.messageTimestampType == .createTime)
        #expect(t.messageTimestampAfterMaxMs == 3_600_000)
        #expect(t.minInsyncReplicas == 1)
        #expect(t.flushMessages == Int64.max && t.flushMs == Int64.max)
        #expect(t.indexIntervalBytes == 4096)
    }

    @Test func precedenceFileThenEnvironmentThenOverride() throws {
        let file = "num.partitions=2\nlog.retention.hours=10\nbroker.rack=file\n"
        let env = ["KAFKA_NUM_PARTITIONS": "3", "KAFKA_BROKER_RACK": "env"]
        let c = try loadConfig(file: file, environment: env, overrides: ["num.partitions=4"]).config
        #expect(c.topics.numPartitions == 4)
        #expect(c.values["num.partitions"]?.origin == .override)
        #expect(c.brokerRack == "env")
        #expect(c.values["broker.rack"]?.origin == .environment(variable: "KAFKA_BROKER_RACK"))
        #expect(c.topicDefaults.retentionMs == 10 * 3_600_000)
        #expect(c.values["log.retention.hours"]?.origin == .file(path: "server.properties", line: 2))
        #expect(try loadConfig(file: file, environment: env).config.topics.numPartitions == 3)
        #expect(try loadConfig(file: file).config.topics.numPartitions == 2)
    }

    @Test func retentionPrecedenceMsOverMinutesOverHours() throws {
        func retention(_ keys: [String]) throws -> Int64 {
            try loadConfig(overrides: keys).config.topicDefaults.retentionMs
        }
        #expect(try retention(["log.retention.hours=2"]) == 2 * 3_600_000)
        #expect(try retention(["log.retention.hours=2", "log.retention.minutes=5"]) == 5 * 60_000)
        #expect(try retention(["log.retention.hours=2", "log.retention.minutes=5", "log.retention.ms=1234"]) == 1234)
        #expect(try retention(["log.retention.ms=-1"]) == -1)
        #expect(try retention(["log.retention.hours=-5"]) == -1)
        let error = configError(overrides: ["log.retention.ms=0"])
        #expect(error?.description == "Invalid value 0 for configuration log.retention.ms: must be -1 (unlimited) "
                + "or at least 1 ms (from --override)")
    }

    @Test func rollAndFlushSynonyms() throws {
        let c = try loadConfig(overrides: ["log.roll.hours=1", "log.flush.scheduler.interval.ms=500",
                                           "log.flush.interval.messages=10"]).config
        #expect(c.topicDefaults.segmentMs == 3_600_000)
        #expect(c.topicDefaults.flushMs == 500)
        #expect(c.topicDefaults.flushMessages == 10)
        #expect(try loadConfig(overrides: ["log.roll.hours=1", "log.roll.ms=77"]).config.topicDefaults.segmentMs == 77)
    }

    @Test func brokerSynonymsFeedTopicDefaults() throws {
        let c = try loadConfig(file: """
            log.cleanup.policy=compact,delete
            compression.type=zstd
            message.max.bytes=2000000
            log.message.timestamp.type=LogAppendTime
            min.insync.replicas=2
            log.segment.bytes=2097152
            """).config
        let t = c.topicDefaults
        #expect(t.cleanupPolicy == ["compact", "delete"])
        #expect(t.compression == .codec(.zstd))
        #expect(t.maxMessageBytes == 2_000_000)
        #expect(t.messageTimestampType == .logAppendTime)
        #expect(t.minInsyncReplicas == 2)
        #expect(t.segmentBytes == 2_097_152)
        #expect(t.values["max.message.bytes"] == .int(2_000_000))
    }

    @Test func topicOverridesApplyOnTopOfBrokerDefaults() throws {
        let defaults = try loadConfig(overrides: ["log.retention.hours=1"]).config.topicDefaults
        let topic = try defaults.applying(overrides: ["cleanup.policy": "compact", "retention.ms": "5000"])
        #expect(topic.compacts && !topic.deletes)
        #expect(topic.retentionMs == 5000)
        #expect(topic.segmentBytes == defaults.segmentBytes)
        #expect(throws: ConfigError.self) { try defaults.applying(overrides: ["log.retention.ms": "1"]) }
        #expect(throws: ConfigError.self) { try defaults.applying(overrides: ["retention.ms": "soon"]) }
    }

    @Test func kafkaQuickstartPropertiesAreASingleNode() throws {
        let loaded = try loadConfig(file: kafkaQuickstartProperties)
        let c = loaded.config
        #expect(c.quorumVoters.isEmpty)
        #expect(c.quorumBootstrapServers == [HostPort(host: "localhost", port: 9093)])
        #expect(c.advertisedControllerListeners.map(\.description) == ["CONTROLLER://localhost:9093"])
        #expect(c.advertisedListeners.map(\.description) == ["PLAINTEXT://localhost:9092"])
        #expect(c.logDirs == ["/tmp/kraft-combined-logs"])
        #expect(c.isSingleNodeCluster)
        #expect(c.groups.offsetsTopicReplicationFactor == 1)
        #expect(loaded.warnings.isEmpty)
    }

    @Test func explicitInternalReplicationIsKeptAndWarnedAbout() throws {
        let loaded = try loadConfig(overrides: ["offsets.topic.replication.factor=3"])
        #expect(loaded.config.groups.offsetsTopicReplicationFactor == 3)
        #expect(loaded.config.transactions.stateLogReplicationFactor == 1)
        #expect(loaded.warnings.contains { $0.hasPrefix("offsets.topic.replication.factor=3 on a single-node cluster") })
    }

    @Test func noLoweringOnClustersOfSeveralNodes() throws {
        // A combined node whose quorum has other voters.
        let combined = try loadConfig(file: """
            process.roles=broker,controller
            node.id=1
            listeners=PLAINTEXT://:9092,CONTROLLER://:9093
            controller.listener.names=CONTROLLER
            controller.quorum.voters=1@a:9093,2@b:9093
            """).config
        #expect(!combined.isSingleNodeCluster)
        #expect(combined.groups.offsetsTopicReplicationFactor == 3)
        // A broker-only node: other brokers exist by definition.
        let broker = try loadConfig(file: """
            process.roles=broker
            node.id=4
            listeners=PLAINTEXT://:9092
            controller.listener.names=CONTROLLER
            controller.quorum.bootstrap.servers=localhost:9093
            """).config
        #expect(!broker.isSingleNodeCluster)
        #expect(broker.transactions.stateLogMinIsr == 2)
        // Bootstrap servers that are not this node.
        let remote = try loadConfig(file: kafkaQuickstartProperties
                                    + "\ncontroller.quorum.bootstrap.servers=other-host:9093\n").config
        #expect(!remote.isSingleNodeCluster)
    }

    @Test func partialListenerConfigurationKeepsTheSingleNodeProfile() throws {
        let c = try loadConfig(environment: ["KAFKA_ADVERTISED_LISTENERS": "PLAINTEXT://myhost:9092"]).config
        #expect(c.listeners.map(\.description) == ["PLAINTEXT://:9092", "CONTROLLER://localhost:9093"])
        #expect(c.advertisedListeners.map(\.description) == ["PLAINTEXT://myhost:9092"])
        let bound = try loadConfig(overrides: ["listeners=PLAINTEXT://:19092"]).config
        #expect(bound.listeners.map(\.port) == [19092, 9093])
        #expect(bound.quorumVoters.first?.endpoint == HostPort(host: "localhost", port: 9093))
        // As in Kafka, a wildcard listener cannot double as the advertised address.
        #expect(configError(overrides: ["listeners=PLAINTEXT://0.0.0.0:19092"])?.description
                .contains("non-routable address 0.0.0.0") == true)
    }

    @Test func brokerIdIsASynonymOfNodeId() throws {
        let c = try loadConfig(file: kafkaQuickstartProperties.replacing("node.id=1", with: "broker.id=1")).config
        #expect(c.nodeId == 1)
    }

    @Test func metadataLogDirDefaultsToFirstLogDir() throws {
        let c = try loadConfig(overrides: ["log.dirs=/a,/b", "metadata.log.dir=/meta"]).config
        #expect(c.logDirs == ["/a", "/b"])
        #expect(c.metadataLogDir == "/meta")
        #expect(try loadConfig(overrides: ["log.dir=/x"]).config.metadataLogDir == "/x")
    }
}

@Suite("Config: storage view of topic settings")
struct ConfigLogConfigTests {
    @Test func unlimitedValuesBecomeNil() throws {
        let c = try loadConfig(overrides: ["log.retention.ms=-1", "log.flush.interval.messages=100"]).config
        let log = c.defaultLogConfig
        #expect(log.retentionMs == nil)
        #expect(log.retentionBytes == nil)
        #expect(log.flushMessages == 100)
        #expect(log.flushMs == nil)
        #expect(log.segmentBytes == 1_073_741_824)
        #expect(log.segmentMs == 168 * 3_600_000)
        #expect(log.indexIntervalBytes == 4096)
        #expect(log.producerIdExpirationMs == 86_400_000)
        #expect(try loadConfig().config.defaultLogConfig.retentionMs == 168 * 3_600_000)
    }
}

@Suite("Config: reading server.properties from disk")
struct ConfigFileLoadingTests {
    @Test func loadsAFileWithLatin1Bytes() throws {
        let path = "/tmp/tributary-config-test-\(UInt64.random(in: 0...UInt64.max)).properties"
        // "café" in ISO-8859-1, as Kafka itself would read a properties file.
        let bytes: [UInt8] = Array("num.partitions=5\nbroker.rack=caf".utf8) + [0xE9] + Array("\n".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loaded = try BrokerConfig.load(propertiesPath: path, environment: ["KAFKA_NUM_PARTITIONS": "6"])
        #expect(loaded.config.brokerRack == "café")
        #expect(loaded.config.topics.numPartitions == 6)
        #expect(loaded.config.values["broker.rack"]?.origin == .file(path: path, line: 2))
    }
}
