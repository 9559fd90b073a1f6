import Foundation
import NIOCore

/// Locates `../shared` beside the repository, from this source file's path, so tests work from any clone.
enum SharedData {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Tests/KafkaProtocolTests/File.swift -> repo root
        return url.deletingLastPathComponent().appendingPathComponent("shared").path
    }()

    static func read(_ path: String) throws -> ByteBuffer {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return ByteBuffer(bytes: data)
    }

    struct CapturedFrame: Decodable, Sendable, CustomStringConvertible {
        var file: String
        var dir: String
        var api_key: Int16
        var api_version: Int16
        var correlation_id: Int32
        var client: String = ""
        var path: String = ""
        enum CodingKeys: String, CodingKey { case file, dir, api_key, api_version, correlation_id }
        var description: String { "\(client)/\(file)" }
    }

    /// Every captured frame listed in the per-client `index.json` files.
    static let frames: [CapturedFrame] = indexedFrames(under: root + "/kafka-captures/frames", prefix: "")

    /// The inter-node frames of the 3-node Kafka cluster: one folder per receiving node, one level below
    /// `frames/kraft-cluster` (so `frames` above, which reads only `<client>/index.json`, does not see them).
    static let clusterFrames: [CapturedFrame] =
        indexedFrames(under: root + "/kafka-captures/frames/kraft-cluster", prefix: "kraft-cluster/")

    /// The frames of every `<folder>/index.json` directly under `base`, labelled `<prefix><folder>`.
    static func indexedFrames(under base: String, prefix: String) -> [CapturedFrame] {
        guard let folders = try? FileManager.default.contentsOfDirectory(atPath: base) else { return [] }
        var all: [CapturedFrame] = []
        for c in folders.sorted() {
            guard let data = FileManager.default.contents(atPath: "\(base)/\(c)/index.json"),
                  let list = try? JSONDecoder().decode([CapturedFrame].self, from: data) else { continue }
            for var f in list {
                f.client = prefix + c
                f.path = "\(base)/\(c)/\(f.file)"
                all.append(f)
            }
        }
        return all
    }
}
