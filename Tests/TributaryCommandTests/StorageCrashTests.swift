import Dispatch
import Foundation
import KafkaProtocol
import KafkaStorage
import NIOCore
import Synchronization
import Testing
@testable import tributary

/// Kills `tributary debug crash-writer` with SIGKILL at random moments, round after round on the same log
/// directory, and checks after each kill that the reopened (recovered) log holds every acknowledged batch intact.
///
/// SIGKILL loses the process, not the page cache, so this exercises recovery from torn tails, interrupted rolls,
/// unwritten indexes and stale checkpoints — not the loss of unsynced data a power cut causes (the
/// `FaultInjectingFileSystem` tests in KafkaStorageTests do that).
///
/// Environment: `TRIBUTARY_CRASH_ROUNDS` (default 60, about 30 s here), `TRIBUTARY_CRASH_SEED` (default random; printed),
/// `TRIBUTARY_BIN` (the `tributary` binary; default: next to the test bundle).
@Suite(.serialized) struct StorageCrashTests {
    static let rounds = ProcessInfo.processInfo.environment["TRIBUTARY_CRASH_ROUNDS"].flatMap(Int.init) ?? 60
    static let masterSeed = ProcessInfo.processInfo.environment["TRIBUTARY_CRASH_SEED"].flatMap(UInt64.init)
        ?? UInt64.random(in: 1 ... UInt64(UInt32.max))

    /// The `tributary` executable in the build products directory the test bundle was built into.
    static func binary() -> URL? {
        let fm = FileManager.default
        if let path = ProcessInfo.processInfo.environment["TRIBUTARY_BIN"] { return URL(fileURLWithPath: path) }
        var starts = [Bundle.main.bundleURL, Bundle.main.executableURL ?? Bundle.main.bundleURL]
        starts.append(URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL)
        for start in starts {
            var url = start
            for _ in 0 ..< 5 {
                let candidate = url.appendingPathComponent("tributary")
                var isDirectory: ObjCBool = false
                if fm.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                   fm.isExecutableFile(atPath: candidate.path) {
                    return candidate
                }
                url.deleteLastPathComponent()
            }
        }
        return nil
    }

    /// What a run of the writer acknowledged before it was killed.
    struct Ack: Hashable {
        var lastOffset: Int64
        var n: Int64
        var seed: UInt64
    }

    /// Runs the writer until `killAfterMs`, then SIGKILLs it; returns its ACKs (and stderr, for failures).
    static func runWriter(_ binary: URL, dir: String, seed: UInt64, mode: String, killAfterMs: Int) throws
        -> (acks: [Ack], exitedEarly: String?) {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["debug", "crash-writer", "--dir", dir, "--seed", "\(seed)", "--mode", mode]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let collected = Mutex<(Data, Data)>((Data(), Data()))
        let readers = DispatchGroup()
        readers.enter()
        DispatchQueue.global().async {
            let data = out.fileHandleForReading.readDataToEndOfFile()
            collected.withLock { $0.0 = data }
            readers.leave()
        }
        readers.enter()
        DispatchQueue.global().async {
            let data = err.fileHandleForReading.readDataToEndOfFile()
            collected.withLock { $0.1 = data }
            readers.leave()
        }
        try process.run()
        usleep(UInt32(killAfterMs * 1000))
        let wasRunning = process.isRunning
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        readers.wait()
        let (stdout, stderr) = collected.withLock { $0 }
        var acks: [Ack] = []
        // Only whole lines: every ACK is written with one write(2).
        for line in String(decoding: stdout, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true) {
            let parts = line.split(separator: " ")
            guard parts.count == 3, parts[0] == "ACK", let lastOffset = Int64(parts[1]), let n = Int64(parts[2]) else { continue }
            acks.append(Ack(lastOffset: lastOffset, n: n, seed: seed))
        }
        var early: String?
        if !wasRunning || process.terminationReason != .uncaughtSignal {
            early = "writer exited by itself (status \(process.terminationStatus)): \(String(decoding: stderr, as: UTF8.self))"
        }
        return (acks, early)
    }

    /// A batch whose content an earlier round already compared record by record.
    struct Verified {
        var crc: UInt32
        var ack: Ack
    }

    /// Checks the whole log against the workload and the acknowledgements; returns problems found. Every batch's
    /// CRC is checked; a batch an earlier round already compared (same offset, same CRC) is not decoded again, so
    /// that a round costs one read of the log plus the new batches.
    static func verify(_ log: PartitionLog, acks: [Int64: Ack], verified: inout [Int64: Verified], sampleSeed: UInt64)
        throws -> (problems: [String], batches: Int) {
        var problems: [String] = []
        var found: [Int64: Ack] = [:]
        var offset = log.logStartOffset
        var previousN: Int64 = -1
        if offset != 0 { problems.append("log start offset \(offset), expected 0") }
        scan: while offset < log.logEndOffset {
            guard let region = try log.read(from: offset, maxBytes: 256 << 10).region else {
                problems.append("no region at offset \(offset) below the log end \(log.logEndOffset)")
                break
            }
            let (batches, _) = try RecordBatchIterator.split(try region.bytes())
            if batches.isEmpty {
                problems.append("region at \(offset) holds no whole batch")
                break
            }
            for batch in batches {
                guard batch.header.baseOffset == offset else {
                    problems.append("batch at \(batch.header.baseOffset), expected \(offset) (offsets not contiguous)")
                    break scan
                }
                if let known = verified[offset], known.crc == batch.header.crc, batch.hasValidCRC,
                   known.ack.lastOffset == batch.header.lastOffset {
                    if known.ack.n != previousN + 1 { problems.append("batch n=\(known.ack.n) follows n=\(previousN)") }
                    previousN = known.ack.n
                    found[known.ack.n] = known.ack
                    offset = batch.header.lastOffset + 1
                    continue
                }
                switch CrashWorkload.check(batch) {
                case .failure(let failure):
                    problems.append(failure.description)
                    break scan
                case .success(let (seed, n)):
                    if n != previousN + 1 { problems.append("batch n=\(n) follows n=\(previousN)") }
                    previousN = n
                    found[n] = Ack(lastOffset: batch.header.lastOffset, n: n, seed: seed)
                    verified[offset] = Verified(crc: batch.header.crc, ack: found[n]!)
                }
                offset = batch.header.lastOffset + 1
            }
        }
        for (n, ack) in acks.sorted(by: { $0.key < $1.key }) where found[n] != ack {
            problems.append("ACKed batch n=\(n) (last offset \(ack.lastOffset), seed \(ack.seed)) is \(found[n].map { "\($0)" } ?? "missing")")
            if problems.count > 20 { break }
        }
        // Offset lookups through the indexes land on the batch holding the offset.
        var random = CrashWorkload.Generator(state: sampleSeed)
        if log.logEndOffset > 0 {
            for _ in 0 ..< 64 {
                let target = Int64(random.next(below: Int(log.logEndOffset)))
                guard let region = try log.read(from: target, maxBytes: 1).region,
                      let header = try? RecordBatchHeader(try region.file.read(at: region.position, count: RecordBatchHeader.size)),
                      header.baseOffset <= target, target <= header.lastOffset, header.baseOffset == region.firstBatchOffset
                else {
                    problems.append("lookup of offset \(target) does not find its batch")
                    continue
                }
            }
        }
        return (problems, found.count)
    }

    /// Every offset-index and time-index entry on disk points at a batch of its segment that holds the offset.
    static func verifyIndexFiles(_ partitionDir: String) throws -> [String] {
        var problems: [String] = []
        let names = try FileManager.default.contentsOfDirectory(atPath: partitionDir)
        for name in names where name.hasSuffix(".log") {
            guard let base = Int64(name.dropLast(4)) else { continue }
            let stem = "\(partitionDir)/\(name.dropLast(4))"
            let log = ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: "\(stem).log")))
            // (position, baseOffset, lastOffset, maxTimestamp) of each whole batch.
            var batches: [(position: Int, base: Int64, last: Int64, maxTimestamp: Int64)] = []
            var iterator = RecordBatchIterator(log)
            var position = 0
            while let batch = try iterator.next() {
                batches.append((position, batch.header.baseOffset, batch.header.lastOffset, batch.header.maxTimestamp))
                position += batch.sizeInBytes
            }
            func read(_ suffix: String) throws -> ByteBuffer {
                let path = "\(stem).\(suffix)"
                guard FileManager.default.fileExists(atPath: path) else { return ByteBuffer() }
                return ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: path)))
            }
            do {
                let offsetIndex = try OffsetIndex(baseOffset: base, bytes: try read("index"))
                for i in 0 ..< offsetIndex.count {
                    let entry = offsetIndex.entry(i)
                    guard let batch = batches.first(where: { $0.position == Int(entry.position) }),
                          batch.base <= entry.offset, entry.offset <= batch.last else {
                        problems.append("\(stem).index entry \(i) (\(entry.offset) @ \(entry.position)) matches no batch")
                        continue
                    }
                }
                let timeIndex = try TimeIndex(baseOffset: base, bytes: try read("timeindex"))
                for i in 0 ..< timeIndex.count {
                    let entry = timeIndex.entry(i)
                    guard let batch = batches.first(where: { $0.base <= entry.offset && entry.offset <= $0.last }),
                          batch.maxTimestamp == entry.timestamp else {
                        problems.append("\(stem).timeindex entry \(i) (\(entry.timestamp), \(entry.offset)) matches no batch")
                        continue
                    }
                }
            } catch {
                problems.append("\(stem): index does not parse: \(error)")
            }
        }
        return problems
    }

    @Test func killedWriterLosesNoAcknowledgedBatch() throws {
        let binary = try #require(Self.binary(), "tributary binary not found next to the test bundle (\(Bundle.main.bundleURL.path)); set TRIBUTARY_BIN")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-crash-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let partitionDir = "\(root)/\(CrashWorkload.topicPartition.directoryName)"
        let master = Self.masterSeed
        var random = CrashWorkload.Generator(state: master)
        var acks: [Int64: Ack] = [:]
        var verified: [Int64: Verified] = [:]
        var modes: [String: Int] = [:]
        var batchesInLog = 0
        var failed = false
        defer {
            if failed {
                print("storage crash test FAILED: master seed \(master) (TRIBUTARY_CRASH_SEED=\(master)), directory kept: \(root)")
            } else {
                try? FileManager.default.removeItem(atPath: root)
            }
        }
        for round in 0 ..< Self.rounds {
            let seed = random.next() >> 1
            let mode = round % 2 == 0 ? "fsync" : "groupcommit"
            let delay = 20 + random.next(below: 281)
            let context = "round \(round), mode \(mode), seed \(seed), kill after \(delay) ms, master seed \(master)"
            let (roundAcks, early) = try Self.runWriter(binary, dir: root, seed: seed, mode: mode, killAfterMs: delay)
            if let early {
                failed = true
                Issue.record("\(context): \(early)")
                return
            }
            modes[mode, default: 0] += 1
            for ack in roundAcks {
                if let earlier = acks[ack.n], earlier != ack {
                    failed = true
                    Issue.record("\(context): batch n=\(ack.n) acknowledged twice: \(earlier), \(ack)")
                    return
                }
                acks[ack.n] = ack
            }
            // Reopen in this process: no clean-shutdown marker, so the log is recovered.
            let manager = try LogManager(configuration: CrashWorkload.managerConfiguration(root),
                                         fileSystem: PosixFileSystem(), now: CrashWorkload.nowMs())
            guard let handle = try manager.log(CrashWorkload.topicPartition, now: CrashWorkload.nowMs()) else {
                if !acks.isEmpty {
                    failed = true
                    Issue.record("\(context): the partition is gone but \(acks.count) batches were acknowledged")
                    return
                }
                continue
            }
            let allAcks = acks
            let sample = random.next()
            let known = verified
            let (problems, count, updated) = try handle.withLog { log in
                var known = known
                let (problems, count) = try Self.verify(log, acks: allAcks, verified: &known, sampleSeed: sample)
                return (problems, count, known)
            }
            verified = updated
            batchesInLog = count
            var indexProblems = try Self.verifyIndexFiles(partitionDir)
            // Every other round shuts down cleanly, so that the next writer also opens without recovery.
            if round % 2 == 0 {
                try manager.close(brokerEpoch: 0, now: CrashWorkload.nowMs())
                indexProblems += try Self.verifyIndexFiles(partitionDir)
            }
            if !(problems + indexProblems).isEmpty {
                failed = true
                let details = (problems + indexProblems).prefix(20).joined(separator: "\n")
                Issue.record("\(context):\n\(details)")
                return
            }
        }
        print("storage crash test: \(Self.rounds) rounds (\(modes["fsync"] ?? 0) fsync, \(modes["groupcommit"] ?? 0) group commit), "
            + "\(acks.count) ACKs verified, \(batchesInLog) batches in the final log, master seed \(master)")
        #expect(!acks.isEmpty)
    }
}
