import KafkaProtocol
import NIOCore

extension DumpLog {
    /// A `.log` segment, or a KRaft `.checkpoint` snapshot (the same batch format).
    func dumpLog(_ path: String) throws {
        let name = Self.fileName(path)
        let file = try SegmentFile(path: path)
        if options.json { return try dumpLogJSON(file) }
        if name.hasSuffix(".log") {
            out("Log starting offset: \(Self.baseOffset(path))")
        } else if name == "bootstrap.checkpoint" {
            out("KRaft bootstrap snapshot")
        } else {
            let parts = name.dropLast(".checkpoint".count).split(separator: "-")
            out("Snapshot end offset: \(parts.first.flatMap { Int64($0) } ?? -1), epoch: \(parts.count > 1 ? Int64(parts[1]) ?? -1 : -1)")
        }
        let content = EntryText.Content(
            printData: options.printDataLog, skipMetadata: options.skipRecordMetadata,
            clusterMetadata: options.clusterMetadataDecoder || path.contains("__cluster_metadata") || name.hasSuffix(".checkpoint"))
        var lastOffset: Int64 = -1
        var gaps: [(Int64, Int64)] = []
        // Kafka tracks record offsets across the whole file and reports each jump.
        func track(_ offset: Int64) {
            if lastOffset != -1 && offset != lastOffset + 1 { gaps.append((lastOffset, offset)) }
            lastOffset = offset
        }
        let end = try file.forEachEntry(limit: Int64(options.maxBytes), window: options.windowSize) { position, entry in
            switch entry {
            case .batch(let batch):
                out(EntryText.batchLine(batch, position: position))
                guard options.isDeep else { return }
                let header = batch.header
                do {
                    try batch.forEachRecord { record in
                        track(record.offset)
                        out(EntryText.recordLine(record, batch: header, content: content))
                    }
                } catch {
                    out("| cannot read the records of this batch: \(error)")
                }
            case .legacy(let wrapper):
                out(EntryText.legacyLine(wrapper, position: position))
                guard options.isDeep else { return }
                var inner = LegacyDeepIterator(wrapper.entry, validateCRC: false)
                do {
                    while let message = try inner.next() {
                        track(message.offset)
                        out(EntryText.legacyRecordLine(message, wrapper: wrapper, content: content))
                    }
                } catch {
                    out("| cannot read the messages of this entry: \(error)")
                }
            }
        }
        if let corruption = end.corruption {
            out("Found a corrupt entry at position \(corruption.position): \(corruption.reason)")
        }
        // As Kafka: with --max-bytes the cut-off tail is expected, so it is not reported.
        if end.trailingBytes > 0 && options.maxBytes == Int(Int32.max) {
            out("Found \(end.trailingBytes) invalid bytes at the end of \(name)")
        }
        if !gaps.isEmpty { nonConsecutiveOffsets.append((path, gaps)) }
    }

    /// `--json`: one document for the file, batches as `protocol decode` shows them, with their positions.
    private func dumpLogJSON(_ file: SegmentFile) throws {
        var entries: [JSONValue] = []
        let end = try file.forEachEntry(limit: Int64(options.maxBytes), window: options.windowSize) { position, entry in
            var members: [(String, JSONValue)] = [("position", .number("\(position)"))]
            switch entry {
            case .batch(let batch):
                if case .object(let m) = RecordsJSON.batchJSON(batch) { members += m }
            case .legacy(let message):
                members += LegacyJSON.messageMembers(message)
            }
            entries.append(.object(members))
        }
        var doc: [(String, JSONValue)] = [
            ("file", .string(file.path)), ("baseOffset", .number("\(Self.baseOffset(file.path))")),
            ("sizeInBytes", .number("\(file.size)")), ("batches", .array(entries)),
            ("trailingBytes", .number("\(end.trailingBytes)")),
        ]
        if let c = end.corruption {
            doc.append(("corruption", .object([("position", .number("\(c.position)")), ("reason", .string(c.reason))])))
        }
        out(CompactJSON.render(.object(doc)))
    }
}
