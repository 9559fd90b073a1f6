import Foundation
import KafkaProtocol
import NIOCore

/// The Kafka 3.7.1 captures in `../shared/kafka-captures` beside the repository.
enum Captures {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }  // Tests/KafkaRaftTests/File.swift -> parent of the repo
        return url.appendingPathComponent("shared/kafka-captures").path
    }()

    struct Frame: Decodable, Sendable, CustomStringConvertible {
        var file: String
        var dir: String
        var api_key: Int16
        var api_version: Int16
        var correlation_id: Int32
        var client_id: String?
        var conn: Int
        var folder: String = ""
        enum CodingKeys: String, CodingKey { case file, dir, api_key, api_version, correlation_id, client_id, conn }
        var path: String { "\(Captures.root)/frames/kraft-cluster/\(folder)/\(file)" }
        var description: String { "\(folder)/\(file)" }
    }

    /// The raft frames of the cluster capture: requests from `raft-client-N` and the responses to them.
    static let raftFrames: [Frame] = {
        let base = root + "/frames/kraft-cluster"
        var out: [Frame] = []
        for folder in ["ctrl-1", "ctrl-2", "ctrl-3"] {
            guard let data = FileManager.default.contents(atPath: "\(base)/\(folder)/index.json"),
                  let frames = try? JSONDecoder().decode([Frame].self, from: data) else { continue }
            let raftRequests = Set(frames.filter { $0.dir == "req" && ($0.client_id ?? "").hasPrefix("raft-client-") }
                .map { "\($0.conn)/\($0.correlation_id)" })
            for var f in frames where raftRequests.contains("\(f.conn)/\(f.correlation_id)") && f.api_key != ApiKey.apiVersions.rawValue {
                f.folder = folder
                out.append(f)
            }
        }
        return out
    }()

    static func bytes(_ path: String) throws -> ByteBuffer {
        ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// A captured frame's body, decoded with the generated type its index names.
    static func body(_ frame: Frame) throws -> any KafkaSchema {
        var buffer = try bytes(frame.path)
        _ = buffer.readInteger(as: Int32.self)
        guard let api = ApiKey(rawValue: frame.api_key) else { throw ProtocolError.invalid("api \(frame.api_key)") }
        if frame.dir == "req" { return try RequestFrame(parsing: buffer).decodeBody().message }
        return try ResponseFrame(parsing: buffer, apiKey: api, version: frame.api_version).body
    }

    static func encode(_ message: any KafkaSchema, version: Int16) throws -> ByteBuffer {
        var out = ByteBuffer()
        try message.encode(into: &out, version: version)
        return out
    }

    static var clusterLogDirs: [String] {
        (1...3).map { "\(root)/log-segments/cluster/node-\($0)/__cluster_metadata-0" }
    }
}
