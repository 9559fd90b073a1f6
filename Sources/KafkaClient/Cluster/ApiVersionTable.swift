import KafkaProtocol

/// The API versions one broker serves (from its ApiVersions response) and the choice of version per request:
/// the highest that both the broker and this client speak, as Kafka's `NodeApiVersions.latestUsableVersion`.
public struct ApiVersionTable: Sendable, Equatable {
    /// Broker's ranges by API key.
    public private(set) var ranges: [Int16: ClosedRange<Int16>]

    public init(_ response: ApiVersionsResponse) {
        var r: [Int16: ClosedRange<Int16>] = [:]
        for k in response.apiKeys where k.minVersion <= k.maxVersion { r[k.apiKey] = k.minVersion...k.maxVersion }
        ranges = r
    }

    public init(ranges: [Int16: ClosedRange<Int16>]) { self.ranges = ranges }

    /// The highest version of `api` in both the broker's range and `ours`, or nil when they do not overlap or the
    /// broker does not serve the API.
    public func usableVersion(_ api: ApiKey, ours: ClosedRange<Int16>) -> Int16? {
        guard let theirs = ranges[api.rawValue] else { return nil }
        let low = max(theirs.lowerBound, ours.lowerBound), high = min(theirs.upperBound, ours.upperBound)
        return low <= high ? high : nil
    }
}

extension ApiKey {
    /// The versions this client writes. The generated types read and write every version, but some versions
    /// change what the client must fill in (Produce 13 and Fetch 13+ name topics by id only), so the client caps
    /// them where its request builders stop.
    var clientVersions: ClosedRange<Int16> {
        switch self {
        case .produce: return 3...12  // 3: record batch v2; 13 (KIP-890/topic ids) not built yet
        case .fetch: return 4...12    // 4: record batch v2 and isolation level; 13+ name topics by id
        case .metadata: return 1...12 // 1: null topics list means all topics
        default: return versions
        }
    }
}
