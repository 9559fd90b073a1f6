/// The configuration definition table: every key the broker knows, with type, default, validator and scope.
///
/// Names, types, defaults and validators follow Apache Kafka 4.x (ServerConfigs, KRaftConfigs, ServerLogConfigs,
/// LogConfig, GroupCoordinatorConfig, TransactionLogConfig, ...). Deviations are commented where they are defined.
public struct ConfigDef: Sendable {
    /// Every key, in table order.
    public let keys: [ConfigKey]
    private let byName: [String: ConfigKey]

    public init(keys: [ConfigKey]) {
        self.keys = keys
        var byName: [String: ConfigKey] = [:]
        for key in keys { byName[key.name] = key }
        self.byName = byName
    }

    /// The table the broker uses.
    public static let standard = ConfigDef(keys: coreKeys + logKeys + topicKeys + coordinatorKeys + securityKeys)

    /// The definition of `name`, whatever its scope.
    public func key(_ name: String) -> ConfigKey? { byName[name] }

    /// The definition of `name` when it may appear in the broker's configuration.
    public func brokerKey(_ name: String) -> ConfigKey? {
        byName[name].flatMap { $0.scope.appliesToBroker ? $0 : nil }
    }

    /// The definition of `name` when it may be set on a topic.
    public func topicKey(_ name: String) -> ConfigKey? {
        byName[name].flatMap { $0.scope.appliesToTopic ? $0 : nil }
    }

    /// Keys that may be set on a topic, in table order (what DescribeConfigs lists for a topic).
    public var topicKeys: [ConfigKey] { keys.filter { $0.scope.appliesToTopic } }

    /// What the broker makes of a key found in its configuration.
    public enum Classification: Equatable, Sendable {
        /// A broker key we define, type and validate.
        case broker(ConfigKey)
        /// A topic-level key put in the broker configuration; `brokerSynonym` is what was probably meant.
        case topicOnly(brokerSynonym: String?)
        /// A Kafka key (or key family) we accept without acting on it.
        case acceptedUnused
        /// Not a Kafka key we know; `suggestion` is a close known name, if any.
        case unknown(suggestion: String?)
    }

    /// Classifies a key found in `server.properties`, the environment or an override.
    public func classify(_ name: String) -> Classification {
        if let key = brokerKey(name) { return .broker(key) }
        if byName[name] != nil { return .topicOnly(brokerSynonym: Self.topicSynonyms[name]?.first?.name) }
        if Self.acceptedUnusedKeys.contains(name) || Self.acceptedUnusedPrefixes.contains(where: name.hasPrefix) {
            return .acceptedUnused
        }
        return .unknown(suggestion: suggestion(for: name))
    }

    /// A broker key within a small edit distance of `name`, to catch typos like `log.retention.hour`.
    func suggestion(for name: String) -> String? {
        var best: (String, Int)?
        for key in keys where key.scope.appliesToBroker {
            let distance = Self.editDistance(name, key.name, limit: 3)
            if distance <= 2, distance < (best?.1 ?? Int.max) { best = (key.name, distance) }
        }
        return best?.0
    }

    // Levenshtein distance, giving up (returning `limit`) once every path is at least `limit` long.
    static func editDistance(_ a: String, _ b: String, limit: Int) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        if abs(a.count - b.count) >= limit { return limit }
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            if current.min()! >= limit { return limit }
            previous = current
        }
        return min(previous[b.count], limit)
    }
}
