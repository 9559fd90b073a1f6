import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import KafkaProtocol
import KafkaStorage
import NIOCore

/// `tributary bench storage`: the partition log next to plain file I/O on the same disk, in the same run.
struct StorageBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage",
        abstract: "Storage: append and read throughput, offset lookups, recovery, idle-partition cost.")

    @Option(help: "Working directory (default: ./.bench-tmp/storage, removed afterwards).") var dir: String?
    @Option(name: .customLong("size-mb"), help: "MiB appended (and recovered).") var sizeMB: Int = 1024
    @Option(help: "Idle partitions created for the memory/descriptor figures.") var partitions: Int = 10_000
    @Option(help: "Offset lookups timed.") var lookups: Int = 100_000

    func run() throws {
        let fs = PosixFileSystem()
        let root: String
        var cleanupRoot: String?
        if let dir {
            root = dir
        } else {
            var buffer = [CChar](repeating: 0, count: 4096)
            let cwd = getcwd(&buffer, buffer.count).map { String(cString: $0) } ?? "."
            root = cwd + "/.bench-tmp/storage"
            cleanupRoot = cwd + "/.bench-tmp"
        }
        if fs.exists(root) { try fs.removeRecursively(root) }
        try fs.createDirectory(root)
        defer {
            try? fs.removeRecursively(root)
            if let cleanupRoot, (try? fs.listDirectory(cleanupRoot))?.isEmpty == true { try? fs.remove(cleanupRoot) }
        }
        var bench = StorageBenchRun(fs: fs, root: root, bytes: Int64(sizeMB) << 20)
        try bench.appendAndWrite()
        try bench.reads()
        try bench.lookups(count: lookups)
        try bench.recovery()
        try bench.idlePartitions(count: partitions)
    }
}

struct StorageBenchRun {
    let fs: PosixFileSystem
    let root: String
    let bytes: Int64
    let tp = TopicPartition("bench", 0)
    var batch = ByteBuffer()
    var batchCount = 0
    var manager: LogManager?

    init(fs: PosixFileSystem, root: String, bytes: Int64) {
        self.fs = fs
        self.root = root
        self.bytes = bytes
        // A 16 KiB batch of 100-byte values, uncompressed.
        var builder = RecordBatchBuilder(initialCapacity: 17_000)
        var i = 0
        while RecordBatchHeader.size + builder.uncompressedRecordsSize < 16_384 - 110 {
            try! builder.append(timestamp: 1_700_000_000_000 + Int64(i), key: nil,
                                value: ByteBuffer(repeating: UInt8(truncatingIfNeeded: i), count: 100))
            i += 1
        }
        batch = try! builder.build()
        batchCount = Int((bytes + Int64(batch.readableBytes) - 1) / Int64(batch.readableBytes))
    }

    static func say(_ line: String) {
        print(line)
        fflush(nil)
    }

    var logDir: String { root + "/log" }

    func configuration() -> LogManager.Configuration {
        var configuration = LogManager.Configuration(logDirs: [logDir])
        configuration.defaultConfig.segmentBytes = 128 << 20
        configuration.defaultConfig.segmentMs = .max / 4
        configuration.defaultConfig.retentionMs = nil
        return configuration
    }

    static func mib(_ bytes: Int64, _ seconds: Double) -> String { fmt(Double(bytes) / 1_048_576 / seconds, 0) + " MiB/s" }

    // MARK: Append

    /// Plain `write()` of the same batches to one file; returns (seconds without fsync, seconds with).
    func plainWrite() throws -> (Double, Double) {
        let path = root + "/plain.dat"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StorageError.system(operation: "open", path: path, errno: errno) }
        let start = monotonicSeconds()
        try batch.withUnsafeReadableBytes { raw in
            for _ in 0 ..< batchCount {
                var done = 0
                while done < raw.count {
                    let n = write(fd, raw.baseAddress! + done, raw.count - done)
                    guard n > 0 else { throw StorageError.system(operation: "write", path: path, errno: errno) }
                    done += n
                }
            }
        }
        let written = monotonicSeconds()
        fsync(fd)
        let synced = monotonicSeconds()
        close(fd)
        unlink(path)
        return (written - start, synced - start)
    }

    /// The same batches through `PartitionLog.append` (one lock + append per batch); returns the same pair.
    mutating func logAppend(keep: Bool) throws -> (Double, Double) {
        if fs.exists(logDir) { try fs.removeRecursively(logDir) }
        let manager = try LogManager(configuration: configuration(), fileSystem: fs, now: 0)
        let handle = try manager.createLog(tp, now: 0)
        var records = batch
        let start = monotonicSeconds()
        for _ in 0 ..< batchCount {
            try handle.withLog { log in _ = try log.append(&records, origin: .leader(epoch: 0), now: 1) }
        }
        let written = monotonicSeconds()
        try handle.withLog { try $0.flush(now: 1) }
        let synced = monotonicSeconds()
        if keep { self.manager = manager } else { try manager.close(brokerEpoch: 0, now: 2) }
        return (written - start, synced - start)
    }

    mutating func appendAndWrite() throws {
        let total = Int64(batchCount) * Int64(batch.readableBytes)
        Self.say("storage: \(fmt(Double(total) / 1_048_576, 0)) MiB as \(batchCount) batches of \(batch.readableBytes) bytes, segments of 128 MiB, in \(root)")
        // Alternate, best of two each, so that neither side gets only the cold or only the throttled runs.
        var plain: [(Double, Double)] = []
        var log: [(Double, Double)] = []
        for round in 0 ..< 2 {
            plain.append(try plainWrite())
            log.append(try logAppend(keep: round == 1))
        }
        let plainBest = (plain.map(\.0).min()!, plain.map(\.1).min()!)
        let logBest = (log.map(\.0).min()!, log.map(\.1).min()!)
        Self.say("  append 16 KiB batches, no fsync:      PartitionLog \(Self.mib(total, logBest.0))   plain write() \(Self.mib(total, plainBest.0))   ratio \(fmt(100 * plainBest.0 / logBest.0, 0))%")
        Self.say("  append 16 KiB batches + final fsync:  PartitionLog \(Self.mib(total, logBest.1))   plain write() \(Self.mib(total, plainBest.1))   ratio \(fmt(100 * plainBest.1 / logBest.1, 0))%")
    }

    // MARK: Reads

    mutating func reads() throws {
        guard let handle = try manager?.log(tp, now: 3) else { return }
        // Pass 1: fetch-style reads of 1 MiB regions, bytes pread into memory; remembers where each fetch started.
        var starts: [Int64] = []
        var delivered: Int64 = 0
        let t0 = monotonicSeconds()
        try handle.withLog { log in
            var offset: Int64 = 0
            while offset < log.logEndOffset {
                guard let region = try log.read(from: offset, maxBytes: 1 << 20, now: 3).region else { break }
                starts.append(offset)
                let bytes = try region.bytes()
                var iterator = RecordBatchIterator(bytes)
                var next = offset
                var whole = 0
                while let batch = try iterator.next() {
                    next = batch.header.lastOffset + 1
                    whole += batch.sizeInBytes
                }
                delivered += Int64(whole)
                offset = next
            }
        }
        let preadSeconds = monotonicSeconds() - t0
        Self.say("  read 1 MiB fetch regions, pread into memory (page cache warm): \(Self.mib(delivered, preadSeconds))")

        // Pass 2: the same fetches sent with sendfile(2): to /dev/null, then to a socketpair drained by a thread.
        let devNull = open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer { close(devNull) }
        let toNull = try sendfileAll(handle, starts: starts, to: devNull)
        Self.say("  read 1 MiB fetch regions, sendfile to /dev/null:          \(Self.mib(toNull.bytes, toNull.seconds))")

        var pair: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0 else { return }
        var size: Int32 = 4 << 20
        setsockopt(pair[0], SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(pair[1], SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        let reader = pair[1]
        var thread = pthread_t()
        pthread_create(&thread, nil, { argument in
            let fd = Int32(Int(bitPattern: argument))
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 64)
            while read(fd, buffer, 1 << 20) > 0 {}
            buffer.deallocate()
            return nil
        }, UnsafeMutableRawPointer(bitPattern: Int(reader)))
        let toSocket = try sendfileAll(handle, starts: starts, to: pair[0])
        close(pair[0])
        pthread_join(thread, nil)
        close(pair[1])
        Self.say("  read 1 MiB fetch regions, sendfile to a unix socketpair: \(Self.mib(toSocket.bytes, toSocket.seconds))")
    }

    func sendfileAll(_ handle: PartitionHandle, starts: [Int64], to out: Int32) throws -> (bytes: Int64, seconds: Double) {
        var sent: Int64 = 0
        let t0 = monotonicSeconds()
        for start in starts {
            guard let region = try handle.withLog({ try $0.read(from: start, maxBytes: 1 << 20).region }),
                  let fd = region.file.descriptor else { continue }
            var position = off_t(region.position)
            var left = region.length
            while left > 0 {
                let n = sendfile(out, fd, &position, left)
                if n <= 0 {
                    if n < 0 && errno == EINTR { continue }
                    throw StorageError.system(operation: "sendfile", path: region.file.path, errno: errno)
                }
                left -= n
                sent += Int64(n)
            }
        }
        return (sent, monotonicSeconds() - t0)
    }

    // MARK: Lookups

    func lookups(count: Int) throws {
        guard let handle = try manager?.log(tp, now: 4) else { return }
        var samples = [UInt64](repeating: 0, count: count)
        var state: UInt64 = 0x1234_5678
        let segments = try handle.withLog { log in
            let end = log.logEndOffset
            var ts = timespec()
            var ts2 = timespec()
            for i in 0 ..< count {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let offset = Int64((state >> 11) % UInt64(end))
                clock_gettime(CLOCK_MONOTONIC, &ts)
                let region = try log.read(from: offset, maxBytes: 1)
                clock_gettime(CLOCK_MONOTONIC, &ts2)
                precondition(region.region != nil)
                samples[i] = UInt64((ts2.tv_sec - ts.tv_sec) * 1_000_000_000 + (ts2.tv_nsec - ts.tv_nsec))
            }
            return log.segmentBaseOffsets.count
        }
        samples.sort()
        let p50 = samples[count / 2]
        let p99 = samples[min(count - 1, count * 99 / 100)]
        Self.say("  offset lookup read(from: random, maxBytes: 1) over \(segments) segments: p50 \(p50) ns  p99 \(p99) ns  (\(count) lookups)")
    }

    // MARK: Recovery

    /// Closes the log cleanly, removes the clean-shutdown marker and the recovery-point checkpoint (so that every
    /// segment is re-read), optionally drops the files from the page cache, and times the reopen.
    mutating func timeRecovery(cold: Bool) throws -> (seconds: Double, bytes: Int64) {
        try manager?.close(brokerEpoch: 1, now: 5)
        manager = nil
        try fs.remove(logDir + "/" + CleanShutdownFile.fileName)
        try fs.remove(logDir + "/" + OffsetCheckpointFile.recoveryPoint)
        let partitionDir = logDir + "/" + tp.directoryName
        var total: Int64 = 0
        for name in try fs.listDirectory(partitionDir) where name.hasSuffix(".log") {
            let path = partitionDir + "/" + name
            total += try fs.fileSize(path)
            if cold {
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                if fd >= 0 {
                    posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
                    close(fd)
                }
            }
        }
        let t0 = monotonicSeconds()
        let reopened = try LogManager(configuration: configuration(), fileSystem: fs, now: 6)
        _ = try reopened.log(tp, now: 6)
        let seconds = monotonicSeconds() - t0
        manager = reopened
        return (seconds, total)
    }

    mutating func recovery() throws {
        let warm = try timeRecovery(cold: false)
        let gib = Double(warm.bytes) / Double(1 << 30)
        Self.say("  recovery (no clean-shutdown marker, no recovery point) of \(fmt(gib, 2)) GiB, page cache warm: \(fmt(warm.seconds, 3)) s = \(fmt(warm.seconds / gib, 3)) s/GiB")
        let cold = try timeRecovery(cold: true)
        Self.say("  recovery of \(fmt(gib, 2)) GiB, segment files dropped from the page cache first: \(fmt(cold.seconds, 3)) s = \(fmt(cold.seconds / gib, 3)) s/GiB")
        try manager?.close(brokerEpoch: 2, now: 7)
        manager = nil
        try fs.removeRecursively(logDir)
    }

    // MARK: Idle partitions

    static func residentKiB() -> Int {
        // /proc files report size 0, so read until EOF rather than through `FileSystem.readFile`.
        let fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return -1 }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            bytes += chunk[0 ..< n]
        }
        let status = String(decoding: bytes, as: UTF8.self)
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.dropFirst(6).drop { $0 == " " || $0 == "\t" }.prefix { $0.isNumber }) ?? -1
        }
        return -1
    }

    /// glibc's malloc_trim(0) (not exported by the Glibc module): returns freed heap memory to the system.
    static func mallocTrim() {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        typealias Trim = @convention(c) (Int) -> Int32
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
    }

    func openDescriptors() -> Int { (try? fs.listDirectory("/proc/self/fd").count) ?? -1 }

    func idlePartitions(count: Int) throws {
        guard count > 0 else { return }
        Self.mallocTrim()
        let rss0 = Self.residentKiB()
        let fds0 = openDescriptors()
        let dir = root + "/partitions"
        var configuration = LogManager.Configuration(logDirs: [dir])
        configuration.defaultConfig.segmentMs = .max / 4
        let t0 = monotonicSeconds()
        let manager = try LogManager(configuration: configuration, fileSystem: fs, now: 0)
        var small = RecordBatchBuilder()
        try small.append(timestamp: 1_700_000_000_000, key: nil, value: ByteBuffer(repeating: 1, count: 100))
        let template = try small.build()
        for i in 0 ..< count {
            let handle = try manager.createLog(TopicPartition("idle", Int32(i)), now: 1)
            var records = template
            try handle.withLog { log in _ = try log.append(&records, origin: .leader(epoch: 0), now: 1) }
        }
        let created = monotonicSeconds() - t0
        let rssOpen = Self.residentKiB()
        let fdsOpen = openDescriptors()
        let t1 = monotonicSeconds()
        let closed = try manager.closeIdle(idleMs: 0, now: 2)
        let closing = monotonicSeconds() - t1
        let rssIdle = Self.residentKiB()
        let fdsIdle = openDescriptors()
        Self.mallocTrim()
        let rssTrimmed = Self.residentKiB()
        func per(_ kib: Int) -> String { fmt(Double(kib - rss0) * 1024 / Double(count) / 1024, 2) + " KiB" }
        func perFd(_ fds: Int) -> String { fmt(Double(fds - fds0) / Double(count), 3) }
        Self.say("  \(count) partitions with one small batch each (created in \(fmt(created, 1)) s, \(closed) closed idle in \(fmt(closing, 1)) s):")
        Self.say("    open:   RSS +\(rssOpen - rss0) KiB = \(per(rssOpen)) per partition, descriptors +\(fdsOpen - fds0) = \(perFd(fdsOpen)) per partition (LRU cap \(configuration.maxOpenFiles))")
        Self.say("    idle:   RSS +\(rssIdle - rss0) KiB = \(per(rssIdle)) per partition, descriptors +\(fdsIdle - fds0) = \(perFd(fdsIdle)) per partition")
        Self.say("    idle after malloc_trim: RSS +\(rssTrimmed - rss0) KiB = \(per(rssTrimmed)) per partition")
        withExtendedLifetime(manager) {}
    }
}
