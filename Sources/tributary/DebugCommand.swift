import ArgumentParser
import Dispatch
import Foundation
import KafkaProtocol
import KafkaStorage
import NIOCore
import Synchronization

/// `tributary debug ...`: hidden tools for tests.
struct DebugCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug",
        abstract: "Tools for tests (not for users).",
        shouldDisplay: false,
        subcommands: [CrashWriter.self, RaftNodeCommand.self]
    )

    /// Appends seeded batches to a partition log and acknowledges each one on stdout once it is durable, until
    /// killed (the crash test's child process, `StorageCrashTests`).
    struct CrashWriter: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "crash-writer",
            abstract: "Append seeded batches, print `ACK <lastOffset> <n>` after each durable append.")

        enum Mode: String, ExpressibleByArgument, CaseIterable {
            /// One fsync per append, under the partition lock.
            case fsync
            /// Several producer threads; `GroupCommitDriver` shares fsyncs between them.
            case groupcommit
        }

        @Option(help: "Log directory.") var dir: String
        @Option(help: "Seed of the batch contents.") var seed: UInt64
        @Option(help: "Durability: fsync | groupcommit.") var mode: Mode = .fsync
        @Option(help: "Stop after this many batches (default: run until killed).") var maxBatches: Int64?
        @Option(help: "Producer threads in groupcommit mode.") var producers: Int = 4
        @Option(help: "Group-commit window in ms.") var windowMs: Int64 = 1

        func run() throws {
            let manager = try LogManager(configuration: CrashWorkload.managerConfiguration(dir),
                                         fileSystem: PosixFileSystem(), now: CrashWorkload.nowMs())
            let handle = try manager.createLog(CrashWorkload.topicPartition, now: CrashWorkload.nowMs())
            let next = Atomic<Int64>(try handle.withLog { try CrashWorkload.nextBatchNumber($0) })
            let seed = self.seed
            let limit = maxBatches.map { next.load(ordering: .relaxed) + $0 } ?? .max

            /// Appends the next batch under the partition lock; nil when the limit is reached.
            @Sendable func appendNext() throws -> (lastOffset: Int64, n: Int64)? {
                try handle.withLog { log in
                    let n = next.load(ordering: .relaxed)
                    guard n < limit else { return nil }
                    next.store(n + 1, ordering: .relaxed)
                    var batch = CrashWorkload.batch(seed: seed, n: n)
                    let info = try log.append(&batch, origin: .leader(epoch: 0), now: CrashWorkload.nowMs())
                    return (info.lastOffset, n)
                }
            }
            @Sendable func checkpointNow(_ n: Int64) throws {
                if n % 64 == 63 { try manager.writeCheckpoints() }
            }

            switch mode {
            case .fsync:
                while let (lastOffset, n) = try appendNext() {
                    try handle.withLog { try $0.flush(now: CrashWorkload.nowMs()) }
                    CrashWorkload.acknowledge(lastOffset: lastOffset, n: n)
                    try checkpointNow(n)
                }
            case .groupcommit:
                struct Waiter: Sendable {
                    var lastOffset: Int64
                    var n: Int64
                    var done: DispatchSemaphore
                }
                let driver = try GroupCommitDriver<Waiter>(handle: handle, windowMs: windowMs) { waiters, error in
                    if let error {
                        FileHandle.standardError.write(Data("FAIL fsync: \(error)\n".utf8))
                        Foundation.exit(1)
                    }
                    for waiter in waiters {
                        CrashWorkload.acknowledge(lastOffset: waiter.lastOffset, n: waiter.n)
                        waiter.done.signal()
                    }
                }
                let finished = DispatchGroup()
                for _ in 0 ..< max(1, producers) {
                    finished.enter()
                    Thread {
                        defer { finished.leave() }
                        let done = DispatchSemaphore(value: 0)
                        do {
                            while let (lastOffset, n) = try appendNext() {
                                driver.waitDurable(upTo: lastOffset + 1, Waiter(lastOffset: lastOffset, n: n, done: done))
                                done.wait()
                                try checkpointNow(n)
                            }
                        } catch {
                            FileHandle.standardError.write(Data("FAIL append: \(error)\n".utf8))
                            Foundation.exit(1)
                        }
                    }.start()
                }
                finished.wait()
                FileHandle.standardError.write(Data("fsyncs: \(driver.fsyncs)\n".utf8))
            }
            try manager.close(brokerEpoch: 0, now: CrashWorkload.nowMs())
        }
    }
}

/// The crash test's data: batch `n` of seed `s` is a pure function of both, and names them in every key, so any
/// batch found in the log can be regenerated and compared byte for byte.
enum CrashWorkload {
    static let topicPartition = TopicPartition("crash", 0)

    /// Small segments, so that rolls, multi-segment recovery and rolled-segment indexes are exercised.
    static func managerConfiguration(_ dir: String) -> LogManager.Configuration {
        var configuration = LogManager.Configuration(logDirs: [dir])
        configuration.defaultConfig.segmentBytes = 128 << 10
        configuration.defaultConfig.segmentMs = Int64.max / 4
        configuration.defaultConfig.retentionMs = nil
        configuration.maxOpenFiles = 64
        return configuration
    }

    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// One record of a batch as written.
    struct Expected: Equatable {
        var key: String
        var value: [UInt8]
        var timestamp: Int64
    }

    /// SplitMix64.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func next(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
    }

    static let codecs: [CompressionCodec] = [.gzip, .snappy, .lz4, .zstd]

    /// The codec and records of batch `n`: 1-20 records, values "seq-<n>-<i>:" padded with a letter pattern to a
    /// random length (up to ~600 bytes, 1 in 16 batches up to 16 KiB); half the batches compressed.
    static func contents(seed: UInt64, n: Int64) -> (codec: CompressionCodec, records: [Expected]) {
        var random = Generator(state: seed &* 0x2545_F491_4F6C_DD1D ^ UInt64(bitPattern: n))
        _ = random.next()
        let codec: CompressionCodec = random.next(below: 2) == 0 ? .none : codecs[random.next(below: codecs.count)]
        let count = 1 + random.next(below: 20)
        let large = random.next(below: 16) == 0
        var records: [Expected] = []
        for i in 0 ..< count {
            let prefix = Array("seq-\(n)-\(i):".utf8)
            let length = prefix.count + random.next(below: large ? 16_384 : 600)
            var value = prefix
            value.reserveCapacity(length)
            let shift = random.next(below: 26)
            while value.count < length { value.append(UInt8(97 + (value.count + shift) % 26)) }
            records.append(Expected(key: "s\(seed)-n\(n)-i\(i)", value: value,
                                    timestamp: 1_700_000_000_000 + n * 10 + Int64(i)))
        }
        return (codec, records)
    }

    /// Batch `n` encoded (offsets are assigned by the append).
    static func batch(seed: UInt64, n: Int64) -> ByteBuffer {
        let (codec, records) = contents(seed: seed, n: n)
        var builder = RecordBatchBuilder(compression: codec, initialCapacity: 1024)
        for record in records {
            try! builder.append(timestamp: record.timestamp, key: ByteBuffer(string: record.key),
                                value: ByteBuffer(bytes: record.value))
        }
        return try! builder.build()
    }

    /// (seed, n) from a key `s<seed>-n<n>-i<i>`.
    static func parseKey(_ key: String) -> (seed: UInt64, n: Int64)? {
        let parts = key.split(separator: "-")
        guard parts.count == 3, parts[0].hasPrefix("s"), parts[1].hasPrefix("n"),
              let seed = UInt64(parts[0].dropFirst()), let n = Int64(parts[1].dropFirst()) else { return nil }
        return (seed, n)
    }

    /// Checks a stored batch against what its keys say it should be; returns (seed, n) or a description of the
    /// difference.
    static func check(_ batch: RecordBatch) -> Result<(seed: UInt64, n: Int64), CheckFailure> {
        guard batch.hasValidCRC else { return .failure(CheckFailure("CRC mismatch at offset \(batch.header.baseOffset)")) }
        var records: [Record] = []
        do {
            try batch.forEachRecord { records.append($0) }
        } catch {
            return .failure(CheckFailure("batch at \(batch.header.baseOffset) does not decode: \(error)"))
        }
        guard let firstKey = records.first?.key.map({ String(buffer: $0) }), let (seed, n) = parseKey(firstKey) else {
            return .failure(CheckFailure("batch at \(batch.header.baseOffset): unrecognised first key"))
        }
        let (codec, expected) = contents(seed: seed, n: n)
        guard batch.header.compression == codec else {
            return .failure(CheckFailure("batch n=\(n) seed=\(seed): codec \(String(describing: batch.header.compression)), expected \(codec)"))
        }
        guard records.count == expected.count else {
            return .failure(CheckFailure("batch n=\(n) seed=\(seed): \(records.count) records, expected \(expected.count)"))
        }
        for (i, (record, want)) in zip(records, expected).enumerated() {
            let key = record.key.map { String(buffer: $0) }
            let value = record.value.map { Array($0.readableBytesView) }
            guard key == want.key, value == want.value, record.timestamp == want.timestamp,
                  record.offset == batch.header.baseOffset + Int64(i) else {
                return .failure(CheckFailure("batch n=\(n) seed=\(seed): record \(i) differs"))
            }
        }
        return .success((seed, n))
    }

    struct CheckFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// The number of the batch after the log's last one (0 for an empty log).
    static func nextBatchNumber(_ log: PartitionLog) throws -> Int64 {
        guard log.logEndOffset > log.logStartOffset,
              let region = try log.read(from: log.logEndOffset - 1, maxBytes: 1).region else { return 0 }
        var iterator = RecordBatchIterator(try region.bytes())
        guard let batch = try iterator.next() else { return 0 }
        switch check(batch) {
        case .success(let (_, n)): return n + 1
        case .failure(let failure): throw failure
        }
    }

    /// Prints the acknowledgement with one write(2), so that a kill never leaves half a line behind a whole one.
    static func acknowledge(lastOffset: Int64, n: Int64) {
        let line = Array("ACK \(lastOffset) \(n)\n".utf8)
        line.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let written = write(1, raw.baseAddress! + done, raw.count - done)
                if written <= 0 { if errno == EINTR { continue } else { Foundation.exit(1) } }
                done += written
            }
        }
    }
}
