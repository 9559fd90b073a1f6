import Testing

@testable import KafkaServer

@Suite("Config: definition table")
struct ConfigDefTests {
    let def = ConfigDef.standard

    @Test func namesAreUnique() {
        let names = def.keys.map(\.name)
        #expect(Set(names).count == names.count)
    }

    @Test func everyDefaultPassesItsValidatorAndType() {
        for key in def.keys {
            #expect(key.validator.check(key.defaultValue) == nil, "default of \(key.name)")
            if let value = key.defaultValue, key.type != .class, key.type != .password {
                #expect(ConfigValue.parse(value.description, as: key.type) == value, "\(key.name) round trip")
            }
        }
    }

    @Test func everyKeyHasOneLineOfDocumentation() {
        for key in def.keys {
            #expect(!key.documentation.isEmpty && !key.documentation.contains("\n"), "\(key.name)")
        }
    }

    @Test(arguments: [
        ("num.partitions", ConfigValue.int(1)), ("default.replication.factor", .int(1)),
        ("min.insync.replicas", .int(1)), ("auto.create.topics.enable", .boolean(true)),
        ("delete.topic.enable", .boolean(true)), ("offsets.topic.num.partitions", .int(50)),
        ("offsets.topic.replication.factor", .short(3)), ("offsets.topic.segment.bytes", .int(104_857_600)),
        ("offsets.retention.minutes", .int(10080)), ("transaction.state.log.num.partitions", .int(50)),
        ("transaction.state.log.replication.factor", .short(3)), ("transaction.state.log.min.isr", .int(2)),
        ("transaction.max.timeout.ms", .int(900_000)), ("transactional.id.expiration.ms", .int(604_800_000)),
        ("producer.id.expiration.ms", .int(86_400_000)), ("group.initial.rebalance.delay.ms", .int(3000)),
        ("group.min.session.timeout.ms", .int(6000)), ("group.max.session.timeout.ms", .int(1_800_000)),
        ("group.max.size", .int(Int32.max)), ("group.coordinator.rebalance.protocols", .list(["classic", "consumer"])),
        ("socket.request.max.bytes", .int(104_857_600)), ("socket.send.buffer.bytes", .int(102_400)),
        ("socket.receive.buffer.bytes", .int(102_400)), ("num.network.threads", .int(3)), ("num.io.threads", .int(8)),
        ("queued.max.requests", .int(500)), ("replica.lag.time.max.ms", .long(30000)),
        ("unclean.leader.election.enable", .boolean(false)), ("log.retention.check.interval.ms", .long(300_000)),
        ("log.cleaner.enable", .boolean(true)), ("compression.type", .string("producer")),
        ("message.max.bytes", .int(1_048_588)), ("log.message.timestamp.type", .string("CreateTime")),
        ("log.segment.bytes", .int(1_073_741_824)), ("log.retention.hours", .int(168)),
        ("log.retention.bytes", .long(-1)), ("log.index.interval.bytes", .int(4096)),
        ("log.index.size.max.bytes", .int(10_485_760)), ("log.cleanup.policy", .list(["delete"])),
        ("listeners", .string("PLAINTEXT://:9092")), ("sasl.enabled.mechanisms", .list(["GSSAPI"])),
        ("ssl.keystore.type", .string("JKS")), ("process.roles", .list([])), ("node.id", .int(-1)),
    ] as [(String, ConfigValue)])
    func kafkaDefaults(name: String, value: ConfigValue) throws {
        let key = try #require(def.key(name))
        #expect(key.defaultValue == value)
    }

    @Test(arguments: [
        "advertised.listeners", "controller.listener.names", "inter.broker.listener.name", "log.dirs",
        "metadata.log.dir", "broker.rack", "log.retention.ms", "log.retention.minutes", "log.roll.ms",
        "ssl.keystore.location", "ssl.keystore.password", "log.flush.interval.ms",
    ])
    func keysWithoutDefault(name: String) throws {
        #expect(try #require(def.key(name)).defaultValue == nil)
    }

    @Test func clusterIdIsNotAConfiguration() {
        #expect(def.key("cluster.id") == nil)
    }

    @Test func scopes() throws {
        #expect(try #require(def.key("retention.ms")).scope == .topic)
        #expect(try #require(def.key("log.retention.ms")).scope == .broker)
        #expect(try #require(def.key("min.insync.replicas")).scope == .brokerAndTopic)
        #expect(def.brokerKey("segment.bytes") == nil)
        #expect(def.topicKey("log.segment.bytes") == nil)
        #expect(def.topicKey("compression.type") != nil)
    }

    @Test func synonymsPointAtDefinedKeysOfTheRightScope() {
        for (topic, synonyms) in ConfigDef.topicSynonyms {
            #expect(def.topicKey(topic) != nil, "\(topic)")
            for synonym in synonyms { #expect(def.brokerKey(synonym.name) != nil, "\(synonym.name)") }
        }
        #expect(ConfigDef.topicSynonyms["retention.ms"]?.map(\.name)
                == ["log.retention.ms", "log.retention.minutes", "log.retention.hours"])
    }

    @Test func topicKeysBriefedAreAllPresent() {
        for name in [
            "retention.ms", "segment.bytes", "cleanup.policy", "compression.type", "max.message.bytes",
            "min.insync.replicas", "message.timestamp.type", "message.timestamp.before.max.ms",
            "message.timestamp.after.max.ms", "retention.bytes", "segment.ms", "segment.index.bytes",
            "index.interval.bytes", "flush.messages", "flush.ms", "delete.retention.ms", "min.compaction.lag.ms",
            "max.compaction.lag.ms", "min.cleanable.dirty.ratio", "unclean.leader.election.enable",
            "file.delete.delay.ms", "preallocate", "message.downconversion.enable",
        ] {
            #expect(def.topicKey(name) != nil, "\(name)")
        }
    }

    @Test func classification() {
        #expect(def.classify("num.partitions") == .broker(def.key("num.partitions")!))
        #expect(def.classify("retention.ms") == .topicOnly(brokerSynonym: "log.retention.ms"))
        #expect(def.classify("listener.name.client.ssl.keystore.location") == .acceptedUnused)
        #expect(def.classify("super.users") == .acceptedUnused)
        #expect(def.classify("log.retention.hour") == .unknown(suggestion: "log.retention.hours"))
        #expect(def.classify("completely.made.up") == .unknown(suggestion: nil))
    }

    @Test func editDistance() {
        #expect(ConfigDef.editDistance("kitten", "sitting", limit: 5) == 3)
        #expect(ConfigDef.editDistance("abc", "abc", limit: 3) == 0)
        #expect(ConfigDef.editDistance("", "ab", limit: 3) == 2)
        #expect(ConfigDef.editDistance("a", "abcdef", limit: 3) == 3)
    }

    @Test func valueParsingFollowsKafka() {
        #expect(ConfigValue.parse("  TRUE ", as: .boolean) == .boolean(true))
        #expect(ConfigValue.parse("yes", as: .boolean) == nil)
        #expect(ConfigValue.parse(" a , b,,c ", as: .list) == .list(["a", "b", "", "c"]))
        #expect(ConfigValue.parse("  ", as: .list) == .list([]))
        #expect(ConfigValue.parse("2147483648", as: .int) == nil)
        #expect(ConfigValue.parse("2147483648", as: .long) == .long(2_147_483_648))
        #expect(ConfigValue.parse("0.25", as: .double) == .double(0.25))
        #expect(ConfigValue.parse(" x ", as: .string) == .string("x"))
        #expect(ConfigValue.password("secret").description == "[hidden]")
    }
}
