import KafkaProtocol
import NIOCore

/// `.index`, `.timeindex` and `.txnindex` files. Their formats are fixed-size big-endian entries; a
/// preallocated index ends in zero entries, which Kafka treats as the end (an entry after the first whose relative
/// offset is 0).
extension DumpLog {
    /// Offset index entries (absolute offset, position), up to the first zero entry after the first.
    static func offsetIndexEntries(_ bytes: ByteBuffer, baseOffset: Int64) -> [(offset: Int64, position: Int32)] {
        var entries: [(Int64, Int32)] = []
        for i in 0..<bytes.readableBytes / 8 {
            let at = bytes.readerIndex + i * 8
            let relative = bytes.getInteger(at: at, as: Int32.self)!
            if relative == 0 && i > 0 { break }
            entries.append((baseOffset + Int64(relative), bytes.getInteger(at: at + 4, as: Int32.self)!))
        }
        return entries
    }

    /// Time index entries (timestamp, absolute offset), up to the first zero entry after the first.
    static func timeIndexEntries(_ bytes: ByteBuffer, baseOffset: Int64) -> [(timestamp: Int64, offset: Int64)] {
        var entries: [(Int64, Int64)] = []
        for i in 0..<bytes.readableBytes / 12 {
            let at = bytes.readerIndex + i * 12
            let relative = bytes.getInteger(at: at + 8, as: Int32.self)!
            if relative == 0 && i > 0 { break }
            entries.append((bytes.getInteger(at: at, as: Int64.self)!, baseOffset + Int64(relative)))
        }
        return entries
    }

    func dumpOffsetIndex(_ path: String) throws {
        let bytes = try readIndexFile(path)
        let base = Self.baseOffset(path)
        if bytes.readableBytes < 8 { return out("\(path) is empty.") }
        if options.indexSanityCheck {
            let last = base + Int64(bytes.getInteger(at: bytes.readerIndex + (bytes.readableBytes / 8 - 1) * 8, as: Int32.self)!)
            if bytes.readableBytes % 8 != 0 {
                out("\(path) failed sanity check: found \(bytes.readableBytes) bytes, which is not a multiple of 8.")
            } else if last < base {
                out("\(path) failed sanity check: the last offset is \(last), which is less than the base offset \(base).")
            } else {
                out("\(path) passed sanity check.")
            }
            return
        }
        let log = openLog(for: path)
        var mismatches: [(Int64, Int64)] = []
        var entries: [JSONValue] = []
        for (offset, position) in Self.offsetIndexEntries(bytes, baseOffset: base) {
            if let log {
                // Kafka compares with the last offset of the batch found at the indexed position.
                let found = (try? log.entry(at: Int64(position)))??.lastOffset ?? -1
                if found != offset { mismatches.append((offset, found)) }
            }
            if options.json {
                entries.append(.object([("offset", .number("\(offset)")), ("position", .number("\(position)"))]))
            } else if !options.verifyIndexOnly {
                out("offset: \(offset) position: \(position)")
            }
        }
        if !mismatches.isEmpty { indexMismatches.append((path, mismatches)) }
        if options.json {
            let pairs = mismatches.map { JSONValue.object([("indexOffset", .number("\($0.0)")), ("logOffset", .number("\($0.1)"))]) }
            out(CompactJSON.render(.object([("file", .string(path)), ("entries", .array(entries)), ("mismatches", .array(pairs))])))
        }
    }

    func dumpTimeIndex(_ path: String) throws {
        let bytes = try readIndexFile(path)
        let base = Self.baseOffset(path)
        let all = Self.timeIndexEntries(bytes, baseOffset: base)
        if options.indexSanityCheck {
            let count = bytes.readableBytes / 12
            let last = count == 0 ? nil : (bytes.getInteger(at: bytes.readerIndex + (count - 1) * 12, as: Int64.self)!,
                                            base + Int64(bytes.getInteger(at: bytes.readerIndex + (count - 1) * 12 + 8, as: Int32.self)!))
            if bytes.readableBytes % 12 != 0 {
                out("\(path) failed sanity check: found \(bytes.readableBytes) bytes, which is not a multiple of 12.")
            } else if let last, let first = all.first, last.0 < first.timestamp {
                out("\(path) failed sanity check: the last timestamp \(last.0) is less than the first \(first.timestamp).")
            } else if let last, last.1 < base {
                out("\(path) failed sanity check: the last offset \(last.1) is less than the base offset \(base).")
            } else {
                out("\(path) passed sanity check.")
            }
            return
        }
        let log = openLog(for: path)
        let offsetIndex = (try? readIndexFile(Self.sibling(path, suffix: ".index")))
            .map { Self.offsetIndexEntries($0, baseOffset: base) } ?? []
        var previous: Int64 = -1
        var mismatches: [(Int64, Int64)] = [], outOfOrder: [(Int64, Int64)] = [], notFound: [(Int64, Int64)] = []
        var entries: [JSONValue] = []
        for (timestamp, offset) in all {
            if let log {
                // Start at the indexed position at or before the offset, then find the batch that holds it.
                let start = offsetIndex.last { $0.offset <= offset }.map { Int64($0.position) } ?? 0
                switch Self.findEntry(in: log, from: start, holding: offset) {
                case nil: notFound.append((offset, -1))
                case let entry? where entry.lastOffset != offset: notFound.append((offset, entry.lastOffset))
                case let entry?:
                    let logTimestamp = Self.maxTimestamp(entry)
                    if logTimestamp != timestamp { mismatches.append((timestamp, logTimestamp)) }
                    if previous >= timestamp { outOfOrder.append((timestamp, previous)) }
                }
            }
            if options.json {
                entries.append(.object([("timestamp", .number("\(timestamp)")), ("offset", .number("\(offset)"))]))
            } else if !options.verifyIndexOnly {
                out("timestamp: \(timestamp) offset: \(offset)")
            }
            previous = timestamp
        }
        if !mismatches.isEmpty { timestampMismatches.append((path, mismatches)) }
        if !outOfOrder.isEmpty { outOfOrderTimestamps.append((path, outOfOrder)) }
        if !notFound.isEmpty { offsetsNotFound.append((path, notFound)) }
        if options.json {
            let problems = mismatches.count + outOfOrder.count + notFound.count
            out(CompactJSON.render(.object([
                ("file", .string(path)), ("entries", .array(entries)), ("problems", .number("\(problems)")),
            ])))
        }
    }

    func dumpTransactionIndex(_ path: String) throws {
        let bytes = try readIndexFile(path)
        var entries: [JSONValue] = []
        for i in 0..<bytes.readableBytes / 34 {
            let at = bytes.readerIndex + i * 34
            let version = bytes.getInteger(at: at, as: Int16.self)!
            let fields = (0..<4).map { bytes.getInteger(at: at + 2 + $0 * 8, as: Int64.self)! }
            if options.json {
                entries.append(.object([("version", .number("\(version)")), ("producerId", .number("\(fields[0])")),
                    ("firstOffset", .number("\(fields[1])")), ("lastOffset", .number("\(fields[2])")),
                    ("lastStableOffset", .number("\(fields[3])"))]))
            } else {
                out("version: \(version) producerId: \(fields[0]) firstOffset: \(fields[1]) lastOffset: \(fields[2]) lastStableOffset: \(fields[3])")
            }
        }
        if options.json { out(CompactJSON.render(.object([("file", .string(path)), ("entries", .array(entries))]))) }
        if bytes.readableBytes % 34 != 0 { err("\(path): \(bytes.readableBytes % 34) trailing bytes are not a whole entry") }
    }

    /// Index files are small (10 MiB at most), so they are read whole.
    private func readIndexFile(_ path: String) throws -> ByteBuffer {
        do { return try readFile(path) } catch { throw DumpLogError.unreadable(path, "\(error)") }
    }

    /// The `.log` an index belongs to; without it the entries are printed unverified.
    private func openLog(for path: String) -> SegmentFile? {
        let logPath = Self.sibling(path, suffix: ".log")
        do { return try SegmentFile(path: logPath) } catch {
            err("Cannot verify \(path) against its log: \(error)")
            return nil
        }
    }

    /// The first entry at or after `position` whose last offset reaches `offset`.
    static func findEntry(in log: SegmentFile, from position: Int64, holding offset: Int64) -> SegmentEntry? {
        var position = position
        while let entry = try? log.entry(at: position) {
            if entry.lastOffset >= offset { return entry }
            position += Int64(entry.sizeInBytes)
        }
        return nil
    }

    /// The largest record timestamp of an entry, -1 when it has none (Kafka's NO_TIMESTAMP).
    static func maxTimestamp(_ entry: SegmentEntry) -> Int64 {
        var result: Int64 = -1
        switch entry {
        case .batch(let batch): try? batch.forEachRecord { result = max(result, $0.timestamp) }
        case .legacy(let wrapper):
            var inner = LegacyDeepIterator(wrapper.entry, validateCRC: false)
            while let m = try? inner.next() { result = max(result, m.magic == 0 ? -1 : m.timestamp) }
        }
        return result
    }
}
