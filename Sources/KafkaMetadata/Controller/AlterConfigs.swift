import KafkaProtocol

/// One change of IncrementalAlterConfigs (KIP-339).
public struct ConfigChange: Hashable, Sendable {
    /// The operation ids of IncrementalAlterConfigsRequest.
    public enum Operation: Int8, Hashable, Sendable {
        case set = 0
        case delete = 1
        /// Adds comma-separated items to a LIST config, skipping those already present.
        case append = 2
        /// Removes comma-separated items from a LIST config.
        case subtract = 3
    }

    public var name: String
    public var operation: Operation
    public var value: String?

    public init(name: String, operation: Operation, value: String?) {
        self.name = name
        self.operation = operation
        self.value = value
    }
}

/// The changes to one resource in IncrementalAlterConfigs.
public struct IncrementalAlterConfigsSpec: Hashable, Sendable {
    public var resource: ConfigResource
    public var changes: [ConfigChange]

    public init(resource: ConfigResource, changes: [ConfigChange]) {
        self.resource = resource
        self.changes = changes
    }
}

/// The full new config set of one resource in the legacy AlterConfigs.
public struct AlterConfigsSpec: Hashable, Sendable {
    public var resource: ConfigResource
    /// Every key to keep set, with its value; keys not listed are deleted. A nil value is refused.
    public var configs: [(name: String, value: String?)]

    public init(resource: ConfigResource, configs: [(name: String, value: String?)]) {
        self.resource = resource
        self.configs = configs
    }

    public static func == (a: AlterConfigsSpec, b: AlterConfigsSpec) -> Bool {
        a.resource == b.resource && a.configs.elementsEqual(b.configs) { $0.name == $1.name && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(resource)
        for c in configs {
            hasher.combine(c.name)
            hasher.combine(c.value)
        }
    }
}

/// The outcome for one resource of AlterConfigs or IncrementalAlterConfigs.
public struct AlterConfigsResult: Hashable, Sendable {
    public var resource: ConfigResource
    public var error: ApiError

    public init(resource: ConfigResource, error: ApiError = .none) {
        self.resource = resource
        self.error = error
    }
}

extension QuorumController {
    /// IncrementalAlterConfigs for topic and broker resources: ConfigRecords for the keys whose value changes
    /// (a nil value deletes a key), none when `validateOnly`. Each resource succeeds or fails as a whole.
    public func incrementalAlterConfigs(
        _ resources: [IncrementalAlterConfigsSpec], validateOnly: Bool
    ) -> ControllerResult<[AlterConfigsResult]> {
        var records: [MetadataRecord] = []
        var results: [AlterConfigsResult] = []
        let duplicates = duplicateResources(resources.map(\.resource))
        for spec in resources {
            if duplicates.contains(spec.resource) {
                results.append(AlterConfigsResult(resource: spec.resource, error: ApiError(.invalidRequest, "Duplicate resource.")))
                continue
            }
            switch incrementalChanges(spec) {
            case .success(let newValues):
                switch validateAndRecord(spec.resource, newValues: newValues) {
                case .success(let resourceRecords):
                    records += resourceRecords
                    results.append(AlterConfigsResult(resource: spec.resource))
                case .failure(let error):
                    results.append(AlterConfigsResult(resource: spec.resource, error: error))
                }
            case .failure(let error):
                results.append(AlterConfigsResult(resource: spec.resource, error: error))
            }
        }
        return ControllerResult(records: validateOnly ? [] : records, response: results)
    }

    /// The legacy AlterConfigs: the given configs replace the resource's whole set, so keys not listed are
    /// deleted; none when `validateOnly`.
    public func alterConfigs(_ resources: [AlterConfigsSpec], validateOnly: Bool) -> ControllerResult<[AlterConfigsResult]> {
        var records: [MetadataRecord] = []
        var results: [AlterConfigsResult] = []
        let duplicates = duplicateResources(resources.map(\.resource))
        for spec in resources {
            if duplicates.contains(spec.resource) {
                results.append(AlterConfigsResult(resource: spec.resource, error: ApiError(.invalidRequest, "Duplicate resource.")))
                continue
            }
            var newValues: [(String, String?)] = []
            var listed: Set<String> = []
            var failure: ApiError?
            for (name, value) in spec.configs {
                guard let value else {
                    failure = ApiError(.invalidRequest, "Null value not supported for : \(name)")
                    break
                }
                if !listed.insert(name).inserted {
                    failure = ApiError(.invalidRequest, "Error due to duplicate config keys")
                    break
                }
                newValues.append((name, value))
            }
            if let failure {
                results.append(AlterConfigsResult(resource: spec.resource, error: failure))
                continue
            }
            for key in (image.configs[spec.resource] ?? [:]).keys.sorted() where !listed.contains(key) {
                newValues.append((key, nil))
            }
            switch validateAndRecord(spec.resource, newValues: newValues) {
            case .success(let resourceRecords):
                records += resourceRecords
                results.append(AlterConfigsResult(resource: spec.resource))
            case .failure(let error):
                results.append(AlterConfigsResult(resource: spec.resource, error: error))
            }
        }
        return ControllerResult(records: validateOnly ? [] : records, response: results)
    }

    private func duplicateResources(_ resources: [ConfigResource]) -> Set<ConfigResource> {
        var seen: Set<ConfigResource> = []
        var duplicates: Set<ConfigResource> = []
        for r in resources where !seen.insert(r).inserted { duplicates.insert(r) }
        return duplicates
    }

    /// The new value of every key an incremental request touches, in request order.
    private func incrementalChanges(_ spec: IncrementalAlterConfigsSpec) -> Result<[(String, String?)], ApiError> {
        var names: Set<String> = []
        var current = image.configs[spec.resource] ?? [:]
        var result: [(String, String?)] = []
        for change in spec.changes {
            if !names.insert(change.name).inserted {
                return .failure(ApiError(.invalidRequest, "Error due to duplicate config keys"))
            }
            if change.operation != .delete && change.value == nil {
                return .failure(ApiError(.invalidRequest, "Null value not supported for : \(change.name)"))
            }
            let newValue: String?
            switch change.operation {
            case .set: newValue = change.value
            case .delete: newValue = nil
            case .append, .subtract:
                guard configuration.configSchema.isList(spec.resource.type, change.name) else {
                    let op = change.operation == .append ? "APPEND" : "SUBTRACT"
                    return .failure(ApiError(
                        .invalidConfig, "Can't \(op) to key \(change.name) because its type is not LIST."))
                }
                // The current list, or the default one when the key is not set.
                let base = current[change.name] ?? configuration.configSchema.defaults(spec.resource.type)[change.name] ?? ""
                var items = base.split(separator: ",", omittingEmptySubsequences: true).map(String.init)
                for item in change.value!.split(separator: ",").map(String.init) {
                    if change.operation == .append {
                        if !items.contains(item) { items.append(item) }
                    } else {
                        items.removeAll { $0 == item }
                    }
                }
                newValue = items.joined(separator: ",")
            }
            current[change.name] = newValue
            result.append((change.name, newValue))
        }
        return .success(result)
    }

    /// Checks the resource and the new values, then writes a ConfigRecord per key whose value changes (every
    /// key for brokers, so that brokers reload even an unchanged value, as Kafka does).
    private func validateAndRecord(_ resource: ConfigResource, newValues: [(String, String?)]) -> Result<[MetadataRecord], ApiError> {
        switch resource.type {
        case .topic:
            if resource.name.isEmpty {
                return .failure(ApiError(.invalidRequest, "Default topic resources are not allowed."))
            }
            if let message = TopicName.validationError(resource.name) {
                return .failure(ApiError(.invalidTopicException, message))
            }
        case .broker:
            if !resource.name.isEmpty && Int32(resource.name) == nil {
                return .failure(ApiError(.invalidRequest, "Unable to parse broker name \(resource.name)"))
            }
        default:
            return .failure(ApiError(.invalidRequest, "Unsupported resource type \(resource.type.rawValue)."))
        }
        for case let (key, value?) in newValues {
            if let message = configuration.configSchema.validate(resource.type, key, value) {
                return .failure(ApiError(.invalidConfig, message))
            }
        }
        switch resource.type {
        case .topic where image.topicIdsByName[resource.name] == nil:
            return .failure(ApiError(.unknownTopicOrPartition, "The topic '\(resource.name)' does not exist."))
        case .broker where !resource.name.isEmpty && image.brokers[Int32(resource.name)!] == nil:
            return .failure(ApiError(.brokerIdNotRegistered, "No broker with id \(resource.name) found."))
        default:
            break
        }
        let current = image.configs[resource] ?? [:]
        var records: [MetadataRecord] = []
        for (key, value) in newValues where current[key] != value || resource.type == .broker {
            records.append(.config(resource, key, value))
        }
        return .success(records)
    }
}
