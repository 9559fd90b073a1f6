import KafkaMetadata
import KafkaProtocol
import Testing

@Suite struct AlterConfigsTests {
    static let schema = ConfigSchema(
        validate: { type, key, value in
            if type == .topic && key == "bogus" { return "Unknown topic config name: bogus" }
            if key == "retention.ms" && Int64(value) == nil {
                return "Invalid value \(value) for configuration retention.ms: Not a number of type LONG"
            }
            return nil
        },
        isList: { _, key in key == "cleanup.policy" || key.hasSuffix(".list") },
        defaults: { _ in ["cleanup.policy": "delete"] })

    func cluster() throws -> QuorumController {
        var controller = try QuorumController.cluster(configuration: ControllerConfiguration(configSchema: Self.schema))
        var rng = SeededRandom(seed: 21)
        try controller.commit(controller.createTopics([CreateTopicSpec(name: "t", configs: [.init(name: "retention.ms", value: "10")])],
                                                      validateOnly: false, using: &rng))
        return controller
    }

    @Test func incrementalSetDeleteAppendSubtract() throws {
        var controller = try cluster()
        let result = controller.incrementalAlterConfigs([IncrementalAlterConfigsSpec(resource: .topic("t"), changes: [
            ConfigChange(name: "retention.ms", operation: .delete, value: nil),
            ConfigChange(name: "segment.bytes", operation: .set, value: "1024"),
            ConfigChange(name: "cleanup.policy", operation: .append, value: "compact,delete"),
        ])], validateOnly: false)
        #expect(result.response == [AlterConfigsResult(resource: .topic("t"))])
        try controller.commit(result)
        #expect(controller.image.topicConfigs("t") == ["segment.bytes": "1024", "cleanup.policy": "delete,compact"])
        try controller.commit(controller.incrementalAlterConfigs([IncrementalAlterConfigsSpec(resource: .topic("t"), changes: [
            ConfigChange(name: "cleanup.policy", operation: .subtract, value: "delete"),
        ])], validateOnly: false))
        #expect(controller.image.topicConfigs("t")["cleanup.policy"] == "compact")
        // Setting an unchanged topic value writes nothing.
        let same = controller.incrementalAlterConfigs([IncrementalAlterConfigsSpec(resource: .topic("t"), changes: [
            ConfigChange(name: "segment.bytes", operation: .set, value: "1024"),
        ])], validateOnly: false)
        #expect(same.records.isEmpty && same.response[0].error == .none)
    }

    @Test func brokerConfigs() throws {
        var controller = try cluster()
        let result = controller.incrementalAlterConfigs([
            IncrementalAlterConfigsSpec(resource: .brokerDefault, changes: [ConfigChange(name: "log.retention.ms", operation: .set, value: "5")]),
            IncrementalAlterConfigsSpec(resource: .broker(1), changes: [ConfigChange(name: "log.cleaner.threads", operation: .set, value: "2")]),
            IncrementalAlterConfigsSpec(resource: .broker(7), changes: [ConfigChange(name: "x", operation: .set, value: "2")]),
            IncrementalAlterConfigsSpec(resource: ConfigResource(type: .broker, name: "abc"), changes: []),
        ], validateOnly: false)
        #expect(result.response.map(\.error) == [
            .none, .none, ApiError(.brokerIdNotRegistered, "No broker with id 7 found."),
            ApiError(.invalidRequest, "Unable to parse broker name abc"),
        ])
        try controller.commit(result)
        #expect(controller.image.configs[.brokerDefault] == ["log.retention.ms": "5"])
        #expect(controller.image.configs[.broker(1)] == ["log.cleaner.threads": "2"])
        // Broker configs are written even when unchanged, so brokers reload them.
        let again = controller.incrementalAlterConfigs([
            IncrementalAlterConfigsSpec(resource: .brokerDefault, changes: [ConfigChange(name: "log.retention.ms", operation: .set, value: "5")]),
        ], validateOnly: false)
        #expect(again.records.count == 1)
    }

    @Test func incrementalErrors() throws {
        let controller = try cluster()
        func err(_ resource: ConfigResource, _ changes: [ConfigChange]) -> ApiError {
            let r = controller.incrementalAlterConfigs([IncrementalAlterConfigsSpec(resource: resource, changes: changes)], validateOnly: false)
            #expect(r.records.isEmpty)
            return r.response[0].error
        }
        #expect(err(.topic("t"), [ConfigChange(name: "bogus", operation: .set, value: "1")]) == ApiError(.invalidConfig, "Unknown topic config name: bogus"))
        #expect(err(.topic("t"), [ConfigChange(name: "retention.ms", operation: .set, value: "x")]).error == .invalidConfig)
        #expect(err(.topic("t"), [ConfigChange(name: "retention.ms", operation: .append, value: "1")]) == ApiError(
            .invalidConfig, "Can't APPEND to key retention.ms because its type is not LIST."))
        #expect(err(.topic("nope"), [ConfigChange(name: "retention.ms", operation: .set, value: "1")]) == ApiError(
            .unknownTopicOrPartition, "The topic 'nope' does not exist."))
        #expect(err(.topic(""), []) == ApiError(.invalidRequest, "Default topic resources are not allowed."))
        #expect(err(.topic("a b"), []).error == .invalidTopicException)
        #expect(err(.topic("t"), [ConfigChange(name: "a", operation: .set, value: nil)]) == ApiError(.invalidRequest, "Null value not supported for : a"))
        #expect(err(.topic("t"), [ConfigChange(name: "a", operation: .set, value: "1"), ConfigChange(name: "a", operation: .delete, value: nil)])
            == ApiError(.invalidRequest, "Error due to duplicate config keys"))
        // A failing key fails the whole resource; other resources still apply.
        let mixed = controller.incrementalAlterConfigs([
            IncrementalAlterConfigsSpec(resource: .topic("t"), changes: [
                ConfigChange(name: "segment.bytes", operation: .set, value: "1"), ConfigChange(name: "bogus", operation: .set, value: "1"),
            ]),
            IncrementalAlterConfigsSpec(resource: .brokerDefault, changes: [ConfigChange(name: "x", operation: .set, value: "1")]),
        ], validateOnly: false)
        #expect(mixed.response[0].error.error == .invalidConfig && mixed.response[1].error == .none)
        #expect(mixed.records.count == 1)
        let dup = controller.incrementalAlterConfigs([
            IncrementalAlterConfigsSpec(resource: .topic("t"), changes: []), IncrementalAlterConfigsSpec(resource: .topic("t"), changes: []),
        ], validateOnly: false)
        #expect(dup.response.allSatisfy { $0.error == ApiError(.invalidRequest, "Duplicate resource.") })
    }

    @Test func validateOnly() throws {
        let controller = try cluster()
        let r = controller.incrementalAlterConfigs([IncrementalAlterConfigsSpec(resource: .topic("t"), changes: [
            ConfigChange(name: "segment.bytes", operation: .set, value: "1"),
        ])], validateOnly: true)
        #expect(r.records.isEmpty && r.response[0].error == .none)
        #expect(controller.alterConfigs([AlterConfigsSpec(resource: .topic("t"), configs: [])], validateOnly: true).records.isEmpty)
    }

    @Test func legacyAlterConfigsReplacesTheSet() throws {
        var controller = try cluster()
        let result = controller.alterConfigs([AlterConfigsSpec(resource: .topic("t"), configs: [(name: "segment.bytes", value: "2048")])], validateOnly: false)
        #expect(result.response == [AlterConfigsResult(resource: .topic("t"))])
        try controller.commit(result)
        #expect(controller.image.topicConfigs("t") == ["segment.bytes": "2048"])
        let bad = controller.alterConfigs([AlterConfigsSpec(resource: .topic("t"), configs: [(name: "retention.ms", value: "soon")])], validateOnly: false)
        #expect(bad.response[0].error.error == .invalidConfig && bad.records.isEmpty)
        let null = controller.alterConfigs([AlterConfigsSpec(resource: .topic("t"), configs: [(name: "a", value: nil)])], validateOnly: false)
        #expect(null.response[0].error == ApiError(.invalidRequest, "Null value not supported for : a"))
        try controller.commit(controller.alterConfigs([AlterConfigsSpec(resource: .topic("t"), configs: [])], validateOnly: false))
        #expect(controller.image.topicConfigs("t").isEmpty)
    }
}
