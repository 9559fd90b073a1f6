import KafkaProtocol

/// The configuration side of `tributary storage format` and `tributary storage random-uuid`: which directories
/// get a `meta.properties`, and what a cluster id may be. Writing the files belongs to KafkaStorage.
public enum StorageFormatting {
    /// The directories to format: every data directory, then the metadata log directory when it is separate.
    /// Duplicates (including ones differing only by a trailing `/`) are listed once.
    public static func directoriesToFormat(_ config: BrokerConfig) -> [String] {
        var seen: Set<String> = []
        var result: [String] = []
        for directory in config.logDirs + [config.metadataLogDir] where !directory.isEmpty {
            var normalised = directory
            while normalised.count > 1, normalised.hasSuffix("/") { normalised.removeLast() }
            if seen.insert(normalised).inserted { result.append(directory) }
        }
        return result
    }

    /// Uuids Kafka reserves and never hands out: the all-zero "none" id and the metadata topic's id (0, 1).
    public static let reservedIds: Set<KafkaUUID> = [
        .zero, KafkaUUID(mostSignificantBits: 0, leastSignificantBits: 1),
    ]

    /// Checks a cluster id given to `storage format -t` (or `CLUSTER_ID`): 22 characters of URL-safe base64
    /// without padding encoding 16 bytes, in canonical form, and not a reserved id.
    public static func validateClusterId(_ text: String) throws -> KafkaUUID {
        guard text.utf8.count == 22 else {
            throw ConfigError.invalidClusterId(text, reason: "expected 22 characters of URL-safe base64 (found "
                                                   + "\(text.count)); generate one with `tributary storage random-uuid`")
        }
        guard let uuid = KafkaUUID(base64: text) else {
            throw ConfigError.invalidClusterId(text, reason: "not URL-safe base64 (allowed: A-Z a-z 0-9 - _)")
        }
        // The last character carries 2 spare bits; only the canonical spelling round-trips through meta.properties.
        guard uuid.base64 == text else {
            throw ConfigError.invalidClusterId(text, reason: "not the canonical encoding (did you mean \(uuid.base64)?)")
        }
        guard !reservedIds.contains(uuid) else {
            throw ConfigError.invalidClusterId(text, reason: "this uuid is reserved")
        }
        return uuid
    }

    /// A fresh cluster id, as Kafka's `Uuid.randomUuid()`: random 128 bits, never a reserved id and never text
    /// starting with `-` (which command lines would read as an option).
    public static func randomClusterId() -> String {
        var generator = SystemRandomNumberGenerator()
        return randomClusterId(using: &generator)
    }

    /// `randomClusterId()` with an injected generator, for tests.
    public static func randomClusterId<G: RandomNumberGenerator>(using generator: inout G) -> String {
        while true {
            let uuid = KafkaUUID(mostSignificantBits: generator.next(), leastSignificantBits: generator.next())
            let text = uuid.base64
            if !reservedIds.contains(uuid), !text.hasPrefix("-") { return text }
        }
    }
}
