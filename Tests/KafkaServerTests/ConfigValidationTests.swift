import Testing

@testable import KafkaServer

@Suite("Config: validation")
struct ConfigValidationTests {
    @Test func errorNamesKeyValueAndExpectation() {
        #expect(configError(overrides: ["num.partitions=abc"])?.description
                == "Invalid value abc for configuration num.partitions: expected an integer (from --override)")
        #expect(configError(environment: ["KAFKA_NUM_PARTITIONS": "0"])?.description
                == "Invalid value 0 for configuration num.partitions: must be at least 1 "
                + "(from environment variable KAFKA_NUM_PARTITIONS)")
        #expect(configError(file: "\nnum.partitions=-2\n")?.description
                == "Invalid value -2 for configuration num.partitions: must be at least 1 (from server.properties line 2)")
    }

    @Test(arguments: [
        ("num.partitions", "abc", "expected an integer"),
        ("num.io.threads", "0", "must be at least 1"),
        ("socket.request.max.bytes", "4294967296", "expected an integer between -2147483648 and 2147483647"),
        ("process.roles", "broker,zookeeper", "expected a comma-separated list of broker, controller"),
        ("compression.type", "brotli", "expected one of uncompressed, zstd, lz4, snappy, gzip, producer"),
        ("log.message.timestamp.type", "createtime", "expected one of CreateTime, LogAppendTime"),
        ("auto.create.topics.enable", "yes", "expected true or false"),
        ("offsets.topic.replication.factor", "70000", "expected an integer between -32768 and 32767"),
        ("offsets.topic.replication.factor", "0", "must be at least 1"),
        ("log.cleaner.min.cleanable.ratio", "1.5", "must be between 0 and 1"),
        ("log.cleaner.min.cleanable.ratio", "half", "expected a number"),
        ("compression.gzip.level", "12", "must be between 1 and 9 (or -1)"),
        ("log.segment.bytes", "1000", "must be at least 1048576"),
        ("log.cleanup.policy", "delete,,compact", "found an empty item"),
        ("ssl.client.auth", "always", "expected one of required, requested, none"),
        ("log.retention.ms", "forever", "expected an integer"),
        ("listeners", "PLAINTEXT:9092", "expected NAME://host:port"),
        ("listeners", "PLAINTEXT://:99999", "expected NAME://host:port"),
        ("listeners", "FOO://:9092,CONTROLLER://:9093", "no security protocol defined for listener FOO"),
        ("listeners", "PLAINTEXT://:9092,CONTROLLER://:9092", "different port"),
        ("listeners", "PLAINTEXT://:9092,plaintext://:9094", "different name"),
        ("controller.quorum.voters", "x@a:9093", "expected id@host:port"),
        ("controller.quorum.voters", "1@a:9093,1@b:9093", "voter id 1 appears more than once"),
        ("controller.quorum.bootstrap.servers", "justahost", "expected host:port"),
        ("listener.security.protocol.map", "PLAINTEXT:PLAIN", "unknown security protocol"),
        ("listener.security.protocol.map", "PLAINTEXT", "expected NAME:PROTOCOL"),
    ])
    func invalidValuesNameTheKey(key: String, value: String, expected: String) throws {
        let error = try #require(configError(overrides: ["\(key)=\(value)"]))
        guard case .invalidValue(let errorKey, _, let message, _) = error else {
            Issue.record("expected invalidValue, got \(error)")
            return
        }
        #expect(errorKey == key)
        #expect(message.contains(expected), "\(message)")
        #expect(error.description.hasPrefix("Invalid value "))
        #expect(error.description.contains("for configuration \(key):"))
    }

    @Test func passwordsAreNotEchoed() {
        let key = ConfigKey(name: "x.password", type: .password, defaultValue: nil, validator: .nonEmpty,
                            importance: .high, documentation: "A secret.")
        #expect(throws: ConfigError.invalidValue(key: "x.password", value: "[hidden]", expected: "must not be empty",
                                                 origin: .override)) {
            try key.parse("   ", origin: .override)
        }
        #expect(ConfigDef.standard.key("ssl.keystore.password")?.type == .password)
    }

    private static func props(_ lines: String...) -> String { lines.joined(separator: "\n") }
    private static let controller = "controller.listener.names=CONTROLLER"
    private static let voter1 = "controller.quorum.voters=1@c:9093"
    private static let combined = "process.roles=broker,controller"
    private static let bothListeners = "listeners=PLAINTEXT://:9092,CONTROLLER://:9093"

    static let crossKeyCases: [(file: String, expected: String)] = [
        (props("process.roles=broker", "node.id=1", "listeners=PLAINTEXT://:9092", controller, voter1),
         "must not be one of controller.quorum.voters"),
        (props("process.roles=controller", "node.id=5", "listeners=CONTROLLER://:9093", controller, voter1),
         "must be one of controller.quorum.voters"),
        (props("process.roles=broker", "node.id=4", "listeners=PLAINTEXT://:9092", voter1),
         "controller.listener.names must name"),
        (props("process.roles=broker", "node.id=4", bothListeners, controller, voter1), "must not contain the controller"),
        (props("process.roles=controller", "node.id=1", bothListeners, controller, voter1), "may only contain listeners"),
        (props(combined, "node.id=1", "listeners=PLAINTEXT://:9092", controller, voter1), "controller.listener.names"),
        (props(combined, bothListeners, controller, voter1), "Missing configuration node.id"),
        (props(combined, "node.id=1", bothListeners, controller), "controller.quorum.voters"),
        (props(combined, "node.id=1", bothListeners, "advertised.listeners=PLAINTEXT://0.0.0.0:9092", controller, voter1),
         "0.0.0.0"),
        (props(combined, "node.id=1", "listeners=INTERNAL://:9092,CONTROLLER://:9093",
               "listener.security.protocol.map=INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT", controller, voter1),
         "inter.broker.listener.name"),
        (props(kafkaQuickstartProperties, "security.inter.broker.protocol=PLAINTEXT"), "Only one of"),
        (props(kafkaQuickstartProperties, "broker.id=2"), "must be equal"),
        (props(kafkaQuickstartProperties, "replica.fetch.wait.max.ms=40000"), "replica.socket.timeout.ms"),
    ]

    @Test(arguments: crossKeyCases)
    func crossKeyChecks(file: String, expected: String) throws {
        let error = try #require(configError(file: file))
        #expect(error.description.contains(expected), "\(error)")
    }

    @Test func unknownAndMisplacedKeysWarn() throws {
        let loaded = try loadConfig(file: """
            log.retention.hour=5
            retention.ms=1000
            made.up.key=1
            listener.name.internal.ssl.keystore.location=/x
            """)
        #expect(loaded.warnings.contains(
            "Unknown configuration log.retention.hour (from server.properties line 1) is ignored; did you mean "
                + "log.retention.hours?"))
        #expect(loaded.warnings.contains {
            $0.hasPrefix("Configuration retention.ms") && $0.contains("log.retention.ms")
        })
        #expect(loaded.warnings.contains { $0.hasPrefix("Unknown configuration made.up.key") })
        #expect(loaded.notices.contains { $0.contains("listener.name.internal.ssl.keystore.location") })
        #expect(loaded.warnings.count == 3)
        #expect(loaded.config.topicDefaults.retentionMs == 168 * 3_600_000)
    }

    @Test func malformedOverrideIsRefused() {
        #expect(configError(overrides: ["num.partitions"]) == .malformedOverride("num.partitions"))
        #expect(configError(overrides: ["=3"]) == .malformedOverride("=3"))
    }

    @Test func missingFileIsRefused() {
        #expect(throws: ConfigError.unreadableFile(path: "/nonexistent/server.properties", reason: "no such file")) {
            try BrokerConfig.load(propertiesPath: "/nonexistent/server.properties")
        }
    }
}
