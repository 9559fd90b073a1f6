import Foundation
import KafkaProtocol
import KafkaStorage
import NIOCore
import Testing
@testable import KafkaServer

/// Seeded property test: Fetch requests listing random partitions of random topics in shuffled order (so topics
/// come back in several runs), with random offsets and byte limits, in random versions and isolation levels. Every
/// partition's records must equal a direct read of its log under the same limits (Kafka's: each partition gets at
/// most its partition max bytes and what is left of the response max bytes; the first partition with data gets at
/// least one whole batch).
///
/// Environment: `FETCH_ORDER_SEED` replays a seed (printed with every failure), `FETCH_ORDER_ROUNDS` (default 60).
@Suite(.serialized) struct FetchOrderPropertyTests {
    static let rounds = ProcessInfo.processInfo.environment["FETCH_ORDER_ROUNDS"].flatMap(Int.init) ?? 60
    static let seed = ProcessInfo.processInfo.environment["FETCH_ORDER_SEED"].flatMap(UInt64.init)
        ?? UInt64.random(in: 1...UInt64(UInt32.max))

    @Test func shuffledPartitionsMatchTheLog() async throws {
        let seed = Self.seed
        var rng = SplitMix64(seed: seed)
        let tb = try await TestBroker.start()
        let client = try TestClient(port: tb.port)
        var all: [FetchAsk] = []
        var logEnd: [String: Int64] = [:]
        for t in 0..<Int.random(in: 2...4, using: &rng) {
            let name = "prop-\(t)"
            let count = Int32.random(in: 2...4, using: &rng)
            try await tb.createTopics([name], partitions: count, client: client)
            for p in 0..<count {
                var end: Int64 = 0
                for b in 0..<Int.random(in: 0...5, using: &rng) {
                    let records = Int.random(in: 1...6, using: &rng)
                    let tag = String(repeating: "x", count: Int.random(in: 0...400, using: &rng)) + "\(b)"
                    #expect(try await tb.produce(name, p, count: records, tag: tag, client: client) == 0, "seed \(seed)")
                    end += Int64(records)
                }
                logEnd["\(name)-\(p)"] = end
                all.append(FetchAsk(topic: name, partition: p))
            }
        }
        let maxVersion = ApiKey.fetch.versions.upperBound
        var apart = 0  // rounds that name some topic twice, apart: the case this test is about
        for round in 0..<Self.rounds {
            let version = Int16.random(in: 4...maxVersion, using: &rng)
            let isolation = Int8.random(in: 0...1, using: &rng)
            let asks = all.shuffled(using: &rng).prefix(Int.random(in: 1...all.count, using: &rng)).map { a in
                var a = a
                a.offset = Int64.random(in: 0...logEnd["\(a.topic)-\(a.partition)", default: 0], using: &rng)
                a.maxBytes = Bool.random(using: &rng) ? 1 << 20 : Int32.random(in: 1...3000, using: &rng)
                return a
            }
            let maxBytes = Bool.random(using: &rng) ? Int32(1 << 24) : Int32.random(in: 1...6000, using: &rng)
            if consecutiveRuns(asks.map(\.topic)).count > Set(asks.map(\.topic)).count { apart += 1 }
            let label = "seed \(seed) round \(round) v\(version) isolation \(isolation) maxBytes \(maxBytes)"
            var req = try tb.fetchRequest(Array(asks), version: version, isolation: isolation, maxBytes: maxBytes)
            if version >= 7, Int.random(in: 0..<3, using: &rng) == 0 { req.sessionEpoch = 0 }  // a new session
            // The model is computed before the fetch; nothing is produced meanwhile, so the log does not move.
            let expected = Self.model(asks, tb: tb, maxBytes: maxBytes, readCommitted: isolation == 1)
            let resp = try #require(try await client.send(req, version: version)?.body as? FetchResponse, "\(label)")
            #expect(resp.errorCode == 0, "\(label)")
            let partitions = try tb.responsePartitions(resp, asks: asks, version: version, label)
            for ((ask, want), pd) in zip(zip(asks, expected), partitions) {
                let where_ = "\(label) \(ask.topic)-\(ask.partition) from \(ask.offset) max \(ask.maxBytes)"
                #expect(pd.errorCode == want.error.code, "\(where_)")
                let got = pd.records ?? ByteBuffer()
                let wanted = want.records ?? ByteBuffer()
                #expect(got == wanted, "\(where_): \(got.readableBytes) bytes, the log read gives \(wanted.readableBytes)")
            }
        }
        #expect(apart > 0 || Self.rounds < 20, "seed \(seed): no round named a topic twice apart")
        await tb.stop()
    }

    /// The direct log reads a fetch of `asks` amounts to, in request order.
    static func model(_ asks: [FetchAsk], tb: TestBroker, maxBytes: Int32, readCommitted: Bool) -> [ReplicaManager.ReadResult] {
        var budget = maxBytes > 0 ? Int(maxBytes) : Int.max
        var first = true
        return asks.map { a in
            let r = tb.directRead(a.topic, a.partition, offset: a.offset, maxBytes: min(max(0, Int(a.maxBytes)), budget),
                                  readCommitted: readCommitted, minOneBatch: first)
            if let n = r.records?.readableBytes, n > 0 {
                first = false
                budget = max(0, budget - n)
            }
            return r
        }
    }
}
