import ArgumentParser
import Foundation
import KafkaProtocol
import KafkaStorage
import NIOCore
import Synchronization

/// `tributary bench cleaner`: the log cleaner's throughput and memory, and the produce latency on the partition
/// it cleans next to the same produce without cleaning.
struct CleanerBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleaner",
        abstract: "Log compaction: cleaning MB/s and records/s, offset-map memory, produce p99 while cleaning vs not.")

    @Option(help: "Working directory (default: ./.bench-tmp/cleaner, removed afterwards).") var dir: String?
    @Option(help: "Updates written before cleaning.") var updates: Int = 1_000_000
    @Option(help: "Distinct keys they update.") var keys: Int = 10_000
    @Option(name: .customLong("value-bytes"), help: "Bytes per value.") var valueBytes: Int = 100
    @Option(name: .customLong("dedupe-mb"), help: "Offset map memory (log.cleaner.dedupe.buffer.size) in MiB.") var dedupeMB: Int = 128
    @Option(name: .customLong("segment-mb"), help: "segment.bytes in MiB.") var segmentMB: Int = 16
    @Option(help: "Produce requests timed per latency run.") var produces: Int = 20_000

    func run() throws {
        let root = dir ?? FileManager.default.currentDirectoryPath + "/.bench-tmp/cleaner"
        let fs = PosixFileSystem()
        if fs.exists(root) { try fs.removeRecursively(root) }
        try fs.createDirectory(root)
        defer { try? fs.removeRecursively(root) }
        let bench = CleanerBenchRun(fs: fs, root: root, updates: updates, keys: keys, valueBytes: valueBytes,
                                    segmentBytes: Int64(segmentMB) << 20, dedupeBytes: dedupeMB << 20)
        try bench.throughput()
        try bench.produceLatency(count: produces)
    }
}

struct CleanerBenchRun {
    let fs: PosixFileSystem
    let root: String
    let updates: Int
    let keys: Int
    let valueBytes: Int
    let segmentBytes: Int64
    let dedupeBytes: Int
    let tp = TopicPartition("compacted", 0)

    static func say(_ line: String) {
        print(line)
        fflush(nil)
    }

    func manager(_ name: String) throws -> (LogManager, PartitionHandle) {
        var configuration = LogManager.Configuration(logDirs: [root + "/" + name])
        configuration.defaultConfig.segmentBytes = segmentBytes
        configuration.defaultConfig.segmentMs = .max / 4
        configuration.defaultConfig.compact = true
        configuration.defaultConfig.delete = false
        configuration.defaultConfig.minCleanableDirtyRatio = 0.01
        let manager = try LogManager(configuration: configuration, fileSystem: fs, now: 0)
        return (manager, try manager.createLog(tp, now: 0))
    }

    /// 100 updates of random keys per batch, uncompressed.
    func batch(_ rng: inout SystemRandomNumberGenerator, sequence: Int) -> ByteBuffer {
        var builder = RecordBatchBuilder(initialCapacity: 100 * (valueBytes + 24) + 64)
        let value = ByteBuffer(repeating: UInt8(truncatingIfNeeded: sequence), count: valueBytes)
        for i in 0..<100 {
            try! builder.append(timestamp: 1_700_000_000_000 + Int64(sequence * 100 + i),
                                key: ByteBuffer(string: "key-\(Int.random(in: 0..<keys, using: &rng))"), value: value)
        }
        return try! builder.build()
    }

    func fill(_ handle: PartitionHandle, updates: Int) throws {
        var rng = SystemRandomNumberGenerator()
        for sequence in 0..<(updates / 100) {
            var records = batch(&rng, sequence: sequence)
            try handle.withLog { _ = try $0.append(&records, origin: .leader(epoch: 0), now: 1) }
        }
        try handle.withLog { log in
            try log.roll(now: 1)
            log.updateHighWatermark(log.logEndOffset)
        }
    }

    func throughput() throws {
        let (manager, handle) = try manager("throughput")
        try fill(handle, updates: updates)
        let size = try handle.withLog { $0.sizeInBytes }
        Self.say("cleaner: \(updates) updates over \(keys) keys, \(valueBytes)-byte values, \(fmt(Double(size) / 1_048_576)) MiB in segments of \(segmentBytes >> 20) MiB, offset map \(dedupeBytes >> 20) MiB")
        var map = OffsetMap(memory: dedupeBytes)
        let rssBefore = Self.maxRSS()
        let start = monotonicSeconds()
        guard let run = try manager.cleanFilthiestLog(now: 2, map: &map, ioBufferSize: 512 << 10) else {
            Self.say("cleaner: nothing to clean?")
            return
        }
        let seconds = monotonicSeconds() - start
        let s = run.stats
        let read = Double(s.bytesRead + s.mapBytesRead)
        Self.say("  one pass: \(fmt(seconds, 2)) s; read \(fmt(read / 1_048_576)) MiB (map build \(fmt(Double(s.mapBytesRead) / 1_048_576)) + rewrite \(fmt(Double(s.bytesRead) / 1_048_576))), wrote \(fmt(Double(s.bytesWritten) / 1_048_576, 2)) MiB")
        Self.say("  throughput: \(fmt(Double(s.bytesRead) / 1_048_576 / seconds)) MiB/s of log cleaned, \(fmt(Double(s.recordsRead) / seconds, 0)) records/s (\(s.recordsRetained) of \(s.recordsRead) kept, \(s.segmentsSwapped) segments replaced)")
        Self.say("  memory: offset map \(fmt(Double(map.memoryBytes) / 1_048_576)) MiB (\(map.slots) slots, \(s.mapRecords) keys put); process max RSS \(rssBefore >> 10) MiB before, \(Self.maxRSS() >> 10) MiB after")
        try manager.close(brokerEpoch: 0, now: 3)
    }

    /// Produce latency (one 100-record batch per request, under the partition lock as the broker appends) with no
    /// cleaner, then with a cleaner thread cleaning the same partition over and over.
    func produceLatency(count: Int) throws {
        for cleaning in [false, true] {
            let (manager, handle) = try manager(cleaning ? "latency-cleaning" : "latency-idle")
            try fill(handle, updates: updates)
            let stop = Mutex(false)
            let passes = Mutex(0)
            let cleaner = Thread {
                var map = OffsetMap(memory: dedupeBytes)
                var now: Int64 = 2
                while !stop.withLock({ $0 }) {
                    now += 1
                    if (try? manager.cleanFilthiestLog(now: now, map: &map)) ?? nil != nil {
                        passes.withLock { $0 += 1 }
                    } else {
                        usleep(1_000)
                    }
                }
            }
            if cleaning { cleaner.start() }
            var rng = SystemRandomNumberGenerator()
            var latencies: [Double] = []
            latencies.reserveCapacity(count)
            for sequence in 0..<count {
                var records = batch(&rng, sequence: sequence)
                let start = monotonicSeconds()
                try handle.withLog { log in
                    _ = try log.append(&records, origin: .leader(epoch: 0), now: 1)
                    log.updateHighWatermark(log.logEndOffset)
                }
                latencies.append(monotonicSeconds() - start)
            }
            stop.withLock { $0 = true }
            if cleaning { while !cleaner.isFinished { usleep(1_000) } }
            latencies.sort()
            func pct(_ p: Double) -> String { fmt(latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] * 1e6, 0) }
            Self.say("  produce \(cleaning ? "while cleaning" : "no cleaning  "): \(count) appends of 100 records, p50 \(pct(0.5)) µs, p99 \(pct(0.99)) µs, p99.9 \(pct(0.999)) µs, max \(fmt(latencies.last! * 1e6, 0)) µs\(cleaning ? " (\(passes.withLock { $0 }) cleaning passes meanwhile)" : "")")
            try manager.close(brokerEpoch: 0, now: 3)
        }
    }

    static func maxRSS() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss
    }
}
