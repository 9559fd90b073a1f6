import KafkaMetadata
import KafkaProtocol

/// What both config-altering APIs share: only topic and broker resources reach the controller; the answers come
/// back in request order, refused resources answered in place.
enum AlterConfigsSupport {
    /// The resource, or the error answering it.
    static func resource(type: Int8, name: String) -> Result<ConfigResource, ApiError> {
        guard let t = ConfigResource.ResourceType(rawValue: type), t == .topic || t == .broker else {
            return .failure(ApiError(.invalidRequest, "Unsupported resource type \(type)"))
        }
        return .success(ConfigResource(type: t, name: name))
    }

    /// One error per requested resource: the refusal, or the controller's next result.
    static func merge(count: Int, refused: [Int: ApiError], results: [AlterConfigsResult]) -> [ApiError] {
        var next = results.makeIterator()
        return (0..<count).map { refused[$0] ?? next.next()?.error ?? .none }
    }
}

/// IncrementalAlterConfigs (key 44), versions 0-1, for topics and brokers: SET, DELETE, APPEND, SUBTRACT, validated
/// against the config definitions, committed as ConfigRecords. Leaves out: broker loggers, client metrics, groups.
struct IncrementalAlterConfigsHandler: ApiHandler {
    let apiKey = ApiKey.incrementalAlterConfigs
    let versions: ClosedRange<Int16> = 0...1
    /// The channel to the active controller (a controller's listener: its own controller).
    let controller: any ControllerChannel

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        guard let req = request as? IncrementalAlterConfigsRequest else { return .close(reason: "not an IncrementalAlterConfigs request") }
        var specs: [IncrementalAlterConfigsSpec] = []
        var refused: [Int: ApiError] = [:]
        for (i, r) in req.resources.enumerated() {
            switch AlterConfigsSupport.resource(type: r.resourceType, name: r.resourceName) {
            case .failure(let e): refused[i] = e
            case .success(let resource):
                var changes: [ConfigChange] = []
                for c in r.configs {
                    guard let op = ConfigChange.Operation(rawValue: c.configOperation) else {
                        refused[i] = ApiError(.invalidRequest, "Unknown config operation \(c.configOperation)")
                        break
                    }
                    changes.append(ConfigChange(name: c.name, operation: op, value: c.value))
                }
                if refused[i] == nil { specs.append(IncrementalAlterConfigsSpec(resource: resource, changes: changes)) }
            }
        }
        let validateOnly = req.validateOnly
        let results = specs.isEmpty ? [] : try await controller.incrementalAlterConfigs(specs, validateOnly: validateOnly)
        var response = IncrementalAlterConfigsResponse()
        for (r, error) in zip(req.resources, AlterConfigsSupport.merge(count: req.resources.count, refused: refused, results: results)) {
            var out = IncrementalAlterConfigsResponse.AlterConfigsResourceResponse()
            out.resourceType = r.resourceType
            out.resourceName = r.resourceName
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
    /// The channel to the active controller (a controller's listener: its own controller).
    let controller: any ControllerChannel

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        guard let req = request as? AlterConfigsRequest else { return .close(reason: "not an AlterConfigs request") }
        var specs: [AlterConfigsSpec] = []
        var refused: [Int: ApiError] = [:]
        for (i, r) in req.resources.enumerated() {
            switch AlterConfigsSupport.resource(type: r.resourceType, name: r.resourceName) {
            case .failure(let e): refused[i] = e
            case .success(let resource): specs.append(AlterConfigsSpec(resource: resource, configs: r.configs.map { ($0.name, $0.value) }))
            }
        }
        let validateOnly = req.validateOnly
        let results = specs.isEmpty ? [] : try await controller.alterConfigs(specs, validateOnly: validateOnly)
        var response = AlterConfigsResponse()
        for (r, error) in zip(req.resources, AlterConfigsSupport.merge(count: req.resources.count, refused: refused, results: results)) {
            var out = AlterConfigsResponse.AlterConfigsResourceResponse()
            out.resourceType = r.resourceType
            out.resourceName = r.resourceName
            out.errorCode = error.code
            out.errorMessage = error.message
            response.responses.append(out)
        }
        return .respond(response)
    }
}
