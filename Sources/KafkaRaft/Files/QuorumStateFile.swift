import Foundation
import KafkaProtocol

/// The `quorum-state` file of `__cluster_metadata-0`: Kafka's `QuorumStateData` as JSON, with a `data_version`
/// key (Kafka's `FileQuorumStateStore`). Kafka 3.7 writes version 0:
///
///     {"clusterId":"","leaderId":2,"leaderEpoch":8,"votedId":-1,"appliedOffset":0,
///      "currentVoters":[{"voterId":1},{"voterId":2},{"voterId":3}],"data_version":0}
///
/// (one line). Kafka 4 (KIP-853) writes version 1, without clusterId, appliedOffset and currentVoters but with
/// votedDirectoryId. Both are read; version 0 is written, so Kafka 3.7 reads ours.
public enum QuorumStateFile {
    public static let fileName = "quorum-state"

    public enum FileError: Error, Equatable, CustomStringConvertible {
        case notJSON
        case missing(String)
        case unsupportedVersion(Int)

        public var description: String {
            switch self {
            case .notJSON: return "quorum-state is not a JSON object"
            case .missing(let k): return "quorum-state lacks \(k)"
            case .unsupportedVersion(let v): return "quorum-state data_version \(v) is not 0 or 1"
            }
        }
    }

    /// The file's content for an election state and voter set (version 0, Kafka 3.7's form; `clusterId` is
    /// written empty, as Kafka does).
    public static func encode(_ state: ElectionState, voters: [Int32]) -> [UInt8] {
        let voterList = voters.sorted().map { "{\"voterId\":\($0)}" }.joined(separator: ",")
        let text = "{\"clusterId\":\"\",\"leaderId\":\(state.leaderId ?? -1),\"leaderEpoch\":\(state.epoch),"
            + "\"votedId\":\(state.votedId ?? -1),\"appliedOffset\":0,\"currentVoters\":[\(voterList)],\"data_version\":0}"
        return Array(text.utf8)
    }

    /// The generated `QuorumStateData` (and its version) a file holds.
    public static func decodeData(_ bytes: [UInt8]) throws -> (data: QuorumStateData, version: Int16) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { throw FileError.notJSON }
        func int(_ key: String) throws -> Int {
            guard let n = object[key] as? NSNumber else { throw FileError.missing(key) }
            return n.intValue
        }
        let version = try int("data_version")
        guard version == 0 || version == 1 else { throw FileError.unsupportedVersion(version) }
        var data = QuorumStateData()
        data.leaderId = Int32(truncatingIfNeeded: try int("leaderId"))
        data.leaderEpoch = Int32(truncatingIfNeeded: try int("leaderEpoch"))
        data.votedId = Int32(truncatingIfNeeded: try int("votedId"))
        if version == 0 {
            data.clusterId = object["clusterId"] as? String ?? ""
            data.appliedOffset = Int64(try int("appliedOffset"))
            if let voters = object["currentVoters"] as? [[String: Any]] {
                data.currentVoters = voters.compactMap { ($0["voterId"] as? NSNumber).map { n in
                    var v = QuorumStateData.Voter()
                    v.voterId = n.int32Value
                    return v
                } }
            } else {
                data.currentVoters = nil
            }
        } else {
            data.currentVoters = nil
            if let dir = object["votedDirectoryId"] as? String, let uuid = KafkaUUID(base64: dir) { data.votedDirectoryId = uuid }
        }
        return (data, Int16(version))
    }

    /// The election state a file holds (-1 ids mean none).
    public static func decode(_ bytes: [UInt8]) throws -> ElectionState {
        let (data, _) = try decodeData(bytes)
        return ElectionState(epoch: data.leaderEpoch, leaderId: data.leaderId >= 0 ? data.leaderId : nil,
                             votedId: data.votedId >= 0 ? data.votedId : nil)
    }
}
