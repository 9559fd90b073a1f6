import KafkaMetadata
import KafkaProtocol
import NIOCore
import Foundation

/// A deterministic generator (SplitMix64), so a failing run can be replayed from its seed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension QuorumController {
    /// What a driver does with a result: commit (here: at once) and replay its records; returns the response.
    @discardableResult
    mutating func commit<R>(_ result: ControllerResult<R>) throws -> R {
        try replay(result.records)
        return result.response
    }

    /// A controller at metadata.version 3.7-IV4 with `brokers` registered (epochs 10 + id) and unfenced.
    static func cluster(
        brokers: [Int32] = [1], configuration: ControllerConfiguration = ControllerConfiguration()
    ) throws -> QuorumController {
        var controller = QuorumController(configuration: configuration)
        try controller.commit(controller.bootstrap())
        for id in brokers {
            let spec = BrokerRegistrationSpec(
                brokerId: id, incarnationId: KafkaUUID(mostSignificantBits: 7, leastSignificantBits: UInt64(id)),
                listeners: [.init(name: "PLAINTEXT", host: "localhost", port: UInt16(9091 + id), securityProtocol: 0)],
                supportedFeatures: [.init(name: "metadata.version", minVersion: 1, maxVersion: 19)],
                logDirectories: [KafkaUUID(mostSignificantBits: 0xD1, leastSignificantBits: UInt64(id))])
            try controller.commit(controller.registerBroker(spec, brokerEpoch: 10 + Int64(id)))
            try controller.commit(controller.unfenceBroker(id, brokerEpoch: 10 + Int64(id)))
        }
        return controller
    }
}

/// The captured Kafka 3.7.1 data directory: `../shared/kafka-captures/log-segments` beside the repository.
let capturesDirectory: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }  // Tests/<Target>/File.swift -> parent of the repo
    return url.appendingPathComponent("shared/kafka-captures/log-segments").path
}()

/// Reads a whole file into a buffer (test fixtures only; the target itself does no I/O).
func readFixture(_ path: String) -> ByteBuffer? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    return ByteBuffer(bytes: data)
}

func listDirectory(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
}
