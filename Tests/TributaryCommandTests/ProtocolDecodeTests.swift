import Foundation
import KafkaProtocol
import NIOCore
import Testing
@testable import tributary

/// `tributary protocol decode` prints every captured frame, and every record batch in them decodes with a valid CRC.
@Suite struct ProtocolDecodeTests {
    struct Frame: Decodable, Sendable, CustomStringConvertible {
        var file: String
        var dir: String
        var api_key: Int16
        var api_version: Int16
        var path: String = ""
        enum CodingKeys: String, CodingKey { case file, dir, api_key, api_version }
        var description: String { path.split(separator: "/").suffix(2).joined(separator: "/") }
    }

    static let frames: [Frame] = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        let base = url.appendingPathComponent("shared/kafka-captures/frames").path
        var all: [Frame] = []
        for client in (try? FileManager.default.contentsOfDirectory(atPath: base))?.sorted() ?? [] {
            guard let data = FileManager.default.contents(atPath: "\(base)/\(client)/index.json"),
                  let list = try? JSONDecoder().decode([Frame].self, from: data) else { continue }
            all += list.map { var f = $0; f.path = "\(base)/\(client)/\($0.file)"; return f }
        }
        return all
    }()

    @Test func framesFound() { #expect(Self.frames.count > 1300) }

    @Test(arguments: frames)
    func decodesToJSON(_ frame: Frame) throws {
        let bytes = try readFile(frame.path)
        let json = try ProtocolDecoder.decode(
            frame: bytes, response: frame.dir == "resp", apiKey: frame.api_key, apiVersion: frame.api_version)
        let text = json.rendered()
        #expect(text.hasPrefix("{"))
        #expect(!text.contains("\"crcValid\": false"))
        #expect(!text.contains("\"recordsError\""))
        #expect(!text.contains("\"error\""))
    }

    @Test func outputIsStable() throws {
        let frame = try #require(Self.frames.first { $0.file.contains("Produce") && $0.dir == "req" })
        let bytes = try readFile(frame.path)
        let a = try ProtocolDecoder.decode(frame: bytes, response: false, apiKey: nil, apiVersion: nil).rendered()
        let b = try ProtocolDecoder.decode(frame: bytes, response: false, apiKey: nil, apiVersion: nil).rendered()
        #expect(a == b)
        #expect(a.contains("\"records\": ["))
    }
}
