import KafkaMetadata
import KafkaProtocol
import KafkaStorage
import Logging
import NIOCore

/// `kafka-storage format` semantics: every log directory gets a `meta.properties` naming the cluster, the node and
/// the directory. A node started on unformatted directories formats them itself (Tributary's zero-setup start);
/// directories formatted for another cluster or node are refused.
public enum StorageFormatter {
    /// Formats what is not formatted yet and returns the cluster id.
    @discardableResult
    public static func ensureFormatted(
        config: BrokerConfig, clusterId requested: String?, fileSystem fs: any FileSystem, logger: Logger
    ) throws -> String {
        let dirs = StorageFormatting.directoriesToFormat(config)
        var existing: String? = nil
        for dir in dirs {
            let path = dir + "/" + MetaProperties.fileName
            guard fs.exists(path) else { continue }
            let props = try MetaProperties(text: String(buffer: try fs.readFile(path)))
            if let id = props.clusterId {
                if let e = existing, e != id {
                    throw ConfigError.inconsistent(keys: ["log.dirs"], message: "log directories belong to different clusters (\(e), \(id))")
                }
                existing = id
            }
            if let node = props.nodeId, node != config.nodeId {
                throw ConfigError.inconsistent(keys: ["node.id"], message: "\(path) says node.id=\(node) but the configuration says \(config.nodeId)")
            }
        }
        if let requested, let existing, requested != existing {
            throw ConfigError.inconsistent(keys: ["CLUSTER_ID"], message: "the log directories are formatted for cluster \(existing), not \(requested)")
        }
        let clusterId: String
        if let id = existing ?? requested {
            _ = try StorageFormatting.validateClusterId(id)
            clusterId = id
        } else {
            clusterId = StorageFormatting.randomClusterId()
        }
        var rng = SystemRandomNumberGenerator()
        for dir in dirs {
            let path = dir + "/" + MetaProperties.fileName
            if fs.exists(path) { continue }
            try fs.createDirectory(dir)
            var directoryId = KafkaUUID.zero
            while StorageFormatting.reservedIds.contains(directoryId) || directoryId.base64.hasPrefix("-") {
                directoryId = KafkaUUID(mostSignificantBits: rng.next(), leastSignificantBits: rng.next())
            }
            let props = MetaProperties(version: 1, clusterId: clusterId, nodeId: config.nodeId, directoryId: directoryId)
            try fs.writeAtomically(path, ByteBuffer(string: props.text))
            logger.info("formatted \(dir) for cluster \(clusterId)")
        }
        return clusterId
    }
}
