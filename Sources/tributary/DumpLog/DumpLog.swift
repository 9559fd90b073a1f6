import KafkaProtocol
import NIOCore

/// What `tributary dump-log` was asked to do.
struct DumpLogOptions {
    var printDataLog = false
    var deepIteration = false
    var verifyIndexOnly = false
    var indexSanityCheck = false
    /// Kafka's default: Integer.MAX_VALUE, meaning "the whole file".
    var maxBytes = Int(Int32.max)
    var skipRecordMetadata = false
    /// Decode record values as KRaft metadata records; also on for files in a `__cluster_metadata-*` directory.
    var clusterMetadataDecoder = false
    var json = false
    /// How much of a `.log` file is read at a time.
    var windowSize = 8 << 20

    var isDeep: Bool { deepIteration || printDataLog }
}

/// The logic of `tributary dump-log` (kafka-dump-log.sh): dumps each file to `out`, and after all files, like
/// Kafka, the problems found by verification to `err`. Tests pass closures that collect the lines.
final class DumpLog {
    let options: DumpLogOptions
    let out: (String) -> Void
    let err: (String) -> Void

    /// Problems reported after all files, per file, in the order found.
    var indexMismatches: [(file: String, pairs: [(indexOffset: Int64, logOffset: Int64)])] = []
    var timestampMismatches: [(file: String, pairs: [(indexTimestamp: Int64, logTimestamp: Int64)])] = []
    var outOfOrderTimestamps: [(file: String, pairs: [(indexTimestamp: Int64, previous: Int64)])] = []
    var offsetsNotFound: [(file: String, pairs: [(indexOffset: Int64, logOffset: Int64)])] = []
    var nonConsecutiveOffsets: [(file: String, pairs: [(Int64, Int64)])] = []

    init(options: DumpLogOptions, out: @escaping (String) -> Void, err: @escaping (String) -> Void) {
        self.options = options
        self.out = out
        self.err = err
    }

    /// Dumps every file; false when one could not be read.
    func run(files: [String]) -> Bool {
        var ok = true
        for path in files {
            do { try dump(path) } catch {
                err("Error: \(error)")
                ok = false
            }
        }
        reportProblems()
        return ok
    }

    func dump(_ path: String) throws {
        let name = Self.fileName(path)
        let suffix = name.lastIndex(of: ".").map { String(name[$0...]) } ?? ""
        if !options.json { out("Dumping \(path)") }
        switch suffix {
        case ".log", ".checkpoint": try dumpLog(path)
        case ".index": try dumpOffsetIndex(path)
        case ".timeindex": try dumpTimeIndex(path)
        case ".txnindex": try dumpTransactionIndex(path)
        case ".snapshot": try dumpProducerSnapshot(path)
        default: err("Ignoring unknown file \(path)")
        }
    }

    private func reportProblems() {
        for (file, pairs) in indexMismatches {
            err("Mismatches in :\(file)")
            for p in pairs { err("  Index offset: \(p.indexOffset), log offset: \(p.logOffset)") }
        }
        for (file, pairs) in timestampMismatches {
            err("Found timestamp mismatch in :\(file)")
            for p in pairs { err("  Index timestamp: \(p.indexTimestamp), log timestamp: \(p.logTimestamp)") }
        }
        for (file, pairs) in outOfOrderTimestamps {
            err("Found out of order timestamp in :\(file)")
            for p in pairs { err("  Index timestamp: \(p.indexTimestamp), Previously indexed timestamp: \(p.previous)") }
        }
        for (_, pairs) in offsetsNotFound {
            err("The following indexed offsets are not found in the log.")
            for p in pairs { err("Indexed offset: \(p.indexOffset), found log offset: \(p.logOffset)") }
        }
        for (file, pairs) in nonConsecutiveOffsets {
            err("Non-consecutive offsets in \(file)")
            for (a, b) in pairs { err("  \(a) is followed by \(b)") }
        }
    }

    static func fileName(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? path
    }

    /// The base offset a segment file is named by (`00000000000000001234.index` -> 1234); 0 when not numeric.
    static func baseOffset(_ path: String) -> Int64 {
        Int64(fileName(path).prefix { $0 != "." && $0 != "-" }) ?? 0
    }

    /// The file with the same base name and another suffix, in the same directory.
    static func sibling(_ path: String, suffix: String) -> String {
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return path + suffix }
        return String(path[..<dot]) + suffix
    }

    /// Dumps and collects the lines: (stdout lines, stderr lines, every file readable).
    static func lines(_ files: [String], options: DumpLogOptions) -> (out: [String], err: [String], ok: Bool) {
        final class Lines { var out: [String] = []; var err: [String] = [] }
        let lines = Lines()
        let ok = DumpLog(options: options, out: { lines.out.append($0) }, err: { lines.err.append($0) }).run(files: files)
        return (lines.out, lines.err, ok)
    }
}
