import Logging
import Synchronization
import Testing
@testable import KafkaServer

/// Collects log lines, for checking what a component says.
final class CapturedLog: Sendable {
    let lines = Mutex<[String]>([])
    var logger: Logger {
        Logger(label: "test") { _ in CapturingHandler(sink: self) }
    }
    var all: [String] { lines.withLock { $0 } }
}

struct CapturingHandler: LogHandler {
    let sink: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        sink.lines.withLock { $0.append("\(event.level) \(event.message)") }
    }
}

@Suite struct BadConnectionLogTests {
    final class Clock: Sendable {
        let now = Atomic<Int64>(1_000_000)
        func advance(_ ms: Int64) { now.add(ms, ordering: .relaxed) }
        var read: @Sendable () -> Int64 { { self.now.load(ordering: .relaxed) } }
    }

    @Test func oneFullLineThenOneSummaryPerInterval() {
        let captured = CapturedLog(), clock = Clock()
        let log = BadConnectionLog(logger: captured.logger, intervalMs: 10_000, clock: clock.read)
        for i in 0 ..< 1_000 {
            log.record(client: "127.0.0.1:\(i)", listener: "PLAINTEXT", reason: i % 2 == 0 ? "invalid frame size" : "unknown API key 77",
                       detail: "detail \(i)")
        }
        #expect(captured.all.count == 1)
        #expect(captured.all[0].hasPrefix("warning closing connection from 127.0.0.1:0 on PLAINTEXT: detail 0"))
        log.flush()  // the interval is not over yet
        #expect(captured.all.count == 1)
        clock.advance(10_000)
        log.flush()
        #expect(captured.all.count == 2)
        // The first (an invalid frame size) was logged in full; the summary counts the rest, most frequent first.
        #expect(captured.all[1] == "warning closed 999 more bad connections in the last 10 s (unknown API key 77: 500, invalid frame size: 499)")
        // Quiet for an interval: the next bad connection is logged in full again, with no empty summary.
        clock.advance(60_000)
        log.flush()
        log.record(client: "c", listener: "PLAINTEXT", reason: "r", detail: "again")
        #expect(captured.all.count == 3)
        #expect(captured.all[2].contains("again"))
    }

    @Test func aNewIntervalStartsWithTheSummaryOfTheLast() {
        let captured = CapturedLog(), clock = Clock()
        let log = BadConnectionLog(logger: captured.logger, intervalMs: 1_000, clock: clock.read)
        log.record(client: "a", listener: "L", reason: "x", detail: "first")
        log.record(client: "b", listener: "L", reason: "x", detail: "second")
        clock.advance(1_000)
        log.record(client: "c", listener: "L", reason: "x", detail: "third")
        #expect(captured.all.count == 3)
        #expect(captured.all[1] == "warning closed 1 more bad connection in the last 1 s (x: 1)")
        #expect(captured.all[2].contains("third"))
    }
}

@Suite struct ConfigSourcesSummaryTests {
    @Test func namesEveryLayerThatSetSomething() throws {
        let file = try PropertiesFile(parsing: "node.id=1\nlog.dirs=/d\n", source: "server.properties")
        let sources = try ConfigSources(file: file, environment: ["KAFKA_NUM_PARTITIONS": "3", "HOME": "/root"],
                                        overrides: ["log.retention.ms=5", "num.io.threads=2"])
        #expect(sources.summary == "defaults <- file server.properties (2 keys) <- environment KAFKA_NUM_PARTITIONS <- overrides log.retention.ms, num.io.threads")
        #expect(try ConfigSources().summary.hasPrefix("Kafka's defaults only"))
        let loaded = try BrokerConfig.load(environment: ["KAFKA_NUM_PARTITIONS": "3"])
        #expect(loaded.sourcesSummary == "defaults <- environment KAFKA_NUM_PARTITIONS")
    }
}
