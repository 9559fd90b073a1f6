import KafkaMetadata
import KafkaProtocol

/// IncrementalAlterConfigs (key 44), versions 0-1, for topics and brokers: SET, DELETE, APPEND, SUBTRACT, validated
/// against the config definitions, committed as ConfigRecords. Leaves out: broker loggers, client metrics, groups.
struct IncrementalAlterConfigsHandler: ApiHandler {
    let apiKey = ApiKey.incrementalAlterConfigs
    let versions: ClosedRange<Int16> = 0...1
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! IncrementalAlterConfigsRequest
        var response = IncrementalAlterConfigsResponse()
        var specs: [IncrementalAlterConfigsSpec] = []
        var refused: [Int: ApiError] = [:]
        for (i, r) in req.resources.enumerated() {
            guard let type = ConfigResource.ResourceType(rawValue: r.resourceType), type == .topic || type == .broker else {
                refused[i] = ApiError(.invalidRequest, "Unsupported resource type \(r.resourceType)")
                continue
            }
            var changes: [ConfigChange] = []
            for c in r.configs {
                guard let op = ConfigChange.Operation(rawValue: c.configOperation) else {
                    refused[i] = ApiError(.invalidRequest, "Unknown config operation \(c.configOperation)")
                    break
                }
                changes.append(ConfigChange(name: c.name, operation: op, value: c.value))
            }
            if refused[i] == nil { specs.append(IncrementalAlterConfigsSpec(resource: ConfigResource(type: type, name: r.resourceName), changes: changes)) }
        }
        let validateOnly = req.validateOnly
        let results = specs.isEmpty ? [] : try await context.metadata.run { c, _ in c.incrementalAlterConfigs(specs, validateOnly: validateOnly) }
        var next = results.makeIterator()
        for (i, r) in req.resources.enumerated() {
            var out = IncrementalAlterConfigsResponse.AlterConfigsResourceResponse()
            out.resourceType = r.resourceType
            out.resourceName = r.resourceName
            let error = refused[i] ?? next.next()?.error ?? .none
            out.errorCode = error.code
            out.errorMessage = error.message
            response.responses.append(out)
        }
        return .respond(response)
    }
}

/// AlterConfigs (key 33), versions 0-2: replaces a topic's or broker's whole set of overrides (the legacy API).
struct AlterConfigsHandler: ApiHandler {
    let apiKey = ApiKey.alterConfigs
    let versions: ClosedRange<Int16> = 0...2
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! AlterConfigsRequest
        var response = AlterConfigsResponse()
        var specs: [AlterConfigsSpec] = []
        var refused: [Int: ApiError] = [:]
        for (i, r) in req.resources.enumerated() {
            guard let type = ConfigResource.ResourceType(rawValue: r.resourceType), type == .topic || type == .broker else {
                refused[i] = ApiError(.invalidRequest, "Unsupported resource type \(r.resourceType)")
                continue
            }
            specs.append(AlterConfigsSpec(resource: ConfigResource(type: type, name: r.resourceName),
                                          configs: r.configs.map { ($0.name, $0.value) }))
        }
        let validateOnly = req.validateOnly
        let results = specs.isEmpty ? [] : try await context.metadata.run { c, _ in c.alterConfigs(specs, validateOnly: validateOnly) }
        var next = results.makeIterator()
        for (i, r) in req.resources.enumerated() {
            var out = AlterConfigsResponse.AlterConfigsResourceResponse()
            out.resourceType = r.resourceType
            out.resourceName = r.resourceName
            let error = refused[i] ?? next.next()?.error ?? .none
            out.errorCode = error.code
            out.errorMessage = error.message
            response.responses.append(out)
        }
        return .respond(response)
    }
}
