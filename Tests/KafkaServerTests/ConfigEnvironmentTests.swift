import Testing

@testable import KafkaServer

@Suite("Config: environment variables")
struct ConfigEnvironmentTests {
    @Test(arguments: [
        ("KAFKA_NODE_ID", "node.id"),
        ("KAFKA_LOG_RETENTION_MS", "log.retention.ms"),
        ("KAFKA_ADVERTISED_LISTENERS", "advertised.listeners"),
        ("KAFKA_LISTENER_NAME_CLIENT__A_SSL_KEYSTORE_TYPE", "listener.name.client_a.ssl.keystore.type"),
        ("KAFKA_SOME___DASHED_KEY", "some-dashed.key"),
    ])
    func officialImageMapping(variable: String, key: String) {
        #expect(EnvironmentConfig.officialKey(variable) == key)
    }

    @Test(arguments: [
        ("KAFKA_CFG_NODE_ID", "node.id"),
        ("KAFKA_CFG_CONTROLLER_QUORUM_VOTERS", "controller.quorum.voters"),
        ("KAFKA_CFG_LISTENER_NAME_SASL_SSL_SSL_CLIENT_AUTH", "listener.name.sasl_ssl.ssl.client.auth"),
        ("KAFKA_CFG_LISTENER_NAME_SASL_PLAINTEXT_SASL_ENABLED_MECHANISMS",
         "listener.name.sasl_plaintext.sasl.enabled.mechanisms"),
    ])
    func bitnamiMapping(variable: String, key: String) {
        #expect(EnvironmentConfig.bitnamiKey(variable) == key)
    }

    @Test func nonConfigVariablesAndClusterIdAreNotKeys() {
        let env = EnvironmentConfig(environment: [
            "KAFKA_HEAP_OPTS": "-Xmx1G", "KAFKA_OPTS": "-Dx", "KAFKA_JMX_OPTS": "x", "KAFKA_LOG4J_OPTS": "x",
            "KAFKA_HOME": "/opt/kafka", "KAFKA_VERSION": "4.0.0", "KAFKA_JVM_PERFORMANCE_OPTS": "x",
            "KAFKA_GC_LOG_OPTS": "x", "KAFKA_DEBUG": "y", "CLUSTER_ID": "MkU3OEVBNTcwNTJENDM2Qg",
            "PATH": "/usr/bin", "KAFKA_NUM_PARTITIONS": "3",
        ])
        #expect(env.entries.keys.sorted() == ["num.partitions"])
        #expect(env.clusterId == "MkU3OEVBNTcwNTJENDM2Qg")
    }

    @Test func bitnamiStyleIgnoresPlainKafkaVariables() {
        let env = EnvironmentConfig(environment: [
            "KAFKA_CFG_NODE_ID": "0", "KAFKA_ENABLE_KRAFT": "yes", "KAFKA_LOG_DIR": "/opt/bitnami/kafka/logs",
            "KAFKA_KRAFT_CLUSTER_ID": "abcdefghijklmnopqrstuv", "ALLOW_PLAINTEXT_LISTENER": "yes",
        ])
        #expect(env.entries.keys.sorted() == ["node.id"])
        #expect(env.clusterId == "abcdefghijklmnopqrstuv")
        #expect(env.notices.contains { $0.contains("KAFKA_ENABLE_KRAFT") && $0.contains("KAFKA_LOG_DIR") })
    }

    @Test func emptyValuesAreSkipped() {
        let env = EnvironmentConfig(environment: ["KAFKA_BROKER_RACK": "", "KAFKA_NUM_PARTITIONS": "2"])
        #expect(env.entries.keys.sorted() == ["num.partitions"])
        #expect(env.notices.contains { $0.contains("KAFKA_BROKER_RACK") })
    }

    @Test func officialImageSingleNodeCompose() throws {
        let loaded = try loadConfig(environment: [
            "KAFKA_NODE_ID": "1", "KAFKA_PROCESS_ROLES": "broker,controller",
            "KAFKA_LISTENERS": "PLAINTEXT://:9092,CONTROLLER://:9093",
            "KAFKA_ADVERTISED_LISTENERS": "PLAINTEXT://localhost:9092", "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093", "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
            "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1", "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
            "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0", "KAFKA_NUM_PARTITIONS": "3",
            "KAFKA_HEAP_OPTS": "-Xmx512M", "CLUSTER_ID": "4L6g3nShT-eMCtK--X86sw",
        ])
        let c = loaded.config
        #expect(c.nodeId == 1)
        #expect(c.processRoles == [.broker, .controller])
        #expect(c.listeners.map(\.description) == ["PLAINTEXT://:9092", "CONTROLLER://:9093"])
        #expect(c.advertisedListeners.map(\.description) == ["PLAINTEXT://localhost:9092"])
        #expect(c.advertisedControllerListeners.map(\.description) == ["CONTROLLER://:9093"])
        #expect(c.quorumVoters == [QuorumVoter(id: 1, endpoint: HostPort(host: "localhost", port: 9093))])
        #expect(c.topics.numPartitions == 3)
        #expect(c.groups.initialRebalanceDelayMs == 0)
        #expect(c.groups.offsetsTopicReplicationFactor == 1)
        #expect(c.transactions.stateLogMinIsr == 1)
        #expect(c.isSingleNodeCluster)
        #expect(c.values["num.partitions"]?.origin == .environment(variable: "KAFKA_NUM_PARTITIONS"))
        #expect(loaded.warnings.isEmpty)
        #expect(loaded.clusterIdFromEnvironment == "4L6g3nShT-eMCtK--X86sw")
    }

    @Test func bitnamiSingleNodeCompose() throws {
        let loaded = try loadConfig(environment: [
            "KAFKA_CFG_NODE_ID": "0", "KAFKA_CFG_PROCESS_ROLES": "controller,broker",
            "KAFKA_CFG_LISTENERS": "PLAINTEXT://:9092,CONTROLLER://:9093",
            "KAFKA_CFG_CONTROLLER_QUORUM_VOTERS": "0@kafka:9093", "KAFKA_CFG_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
            "KAFKA_CFG_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "KAFKA_ENABLE_KRAFT": "yes", "ALLOW_PLAINTEXT_LISTENER": "yes",
        ])
        let c = loaded.config
        #expect(c.nodeId == 0)
        #expect(c.processRoles == [.broker, .controller])
        #expect(c.quorumVoters.map(\.endpoint) == [HostPort(host: "kafka", port: 9093)])
        #expect(c.advertisedListeners == [ListenerEndpoint(name: "PLAINTEXT", host: nil, port: 9092,
                                                           securityProtocol: .plaintext)])
        #expect(c.isSingleNodeCluster)
        #expect(c.groups.offsetsTopicReplicationFactor == 1)
        #expect(loaded.warnings.isEmpty)
    }

    @Test func threeNodeClusterParses() throws {
        let loaded = try loadConfig(environment: [
            "KAFKA_NODE_ID": "2", "KAFKA_PROCESS_ROLES": "broker,controller",
            "KAFKA_LISTENERS": "PLAINTEXT://:9092,CONTROLLER://:9093",
            "KAFKA_ADVERTISED_LISTENERS": "PLAINTEXT://b:9092", "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
            "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@a:9093,2@b:9093,3@c:9093",
        ])
        let c = loaded.config
        #expect(c.quorumVoters.map(\.id) == [1, 2, 3])
        #expect(c.quorumVoters.map(\.endpoint.host) == ["a", "b", "c"])
        #expect(c.isVoter)
        #expect(!c.isSingleNodeCluster)
        #expect(c.groups.offsetsTopicReplicationFactor == 3)
        #expect(c.transactions.stateLogMinIsr == 2)
    }
}
