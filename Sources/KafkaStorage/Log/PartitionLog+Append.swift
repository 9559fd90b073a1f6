import KafkaProtocol
import NIOCore

extension PartitionLog {
    /// Appends already-validated magic-2 batches.
    ///
    /// As leader (`.leader(epoch:)`) the batches get consecutive offsets from the log end and the leader epoch,
    /// patched into `records` in place (baseOffset and partitionLeaderEpoch are outside the CRC, so nothing is
    /// re-encoded; the caller sees the assigned offsets in its buffer). As follower (`.replication`) offsets are
    /// kept and must start at or after the log end. The bytes are written with one write to the active segment,
    /// which rolls first when the append would pass `segment.bytes`, `segment.ms` has passed or an index is full.
    ///
    /// Idempotence checks (`checkSequence`) are the caller's, before appending; the append only records the
    /// batches in the producer state. A failed write is rolled back (the file cut to its previous size); if even
    /// that fails the log stops accepting writes.
    @discardableResult
    public func append(_ records: inout ByteBuffer, origin: AppendOrigin, now: Int64) throws -> LogAppendInfo {
        try ensureWritable()
        lastUsed = now
        typealias P = RecordBatchHeader.Position
        // Framing: whole batches only.
        var positions: [Int] = []
        var cursor = records.readerIndex
        while cursor < records.writerIndex {
            guard records.writerIndex - cursor >= RecordBatchHeader.size else {
                throw StorageError.invalidArgument("partial batch header at byte \(cursor - records.readerIndex)")
            }
            let header = try RecordBatchHeader(records.getSlice(at: cursor, length: RecordBatchHeader.size)!)
            guard cursor + header.totalSize <= records.writerIndex else {
                throw StorageError.invalidArgument("partial batch at byte \(cursor - records.readerIndex)")
            }
            positions.append(cursor)
            cursor += header.totalSize
        }
        guard !positions.isEmpty else { throw StorageError.invalidArgument("no batches to append") }

        switch origin {
        case .leader(let epoch):
            var next = logEndOffset
            for position in positions {
                try RecordBatchHeader.setBaseOffset(next, in: &records, batchAt: position)
                try RecordBatchHeader.setPartitionLeaderEpoch(epoch, in: &records, batchAt: position)
                let delta = records.getInteger(at: position + P.lastOffsetDelta, endianness: .big, as: Int32.self)!
                next += Int64(delta) + 1
            }
        case .replication:
            var next = logEndOffset
            for position in positions {
                let base = records.getInteger(at: position + P.baseOffset, endianness: .big, as: Int64.self)!
                guard base >= next else {
                    throw StorageError.invalidArgument("replicated batch at offset \(base) is below the log end \(next)")
                }
                let delta = records.getInteger(at: position + P.lastOffsetDelta, endianness: .big, as: Int32.self)!
                next = base + Int64(delta) + 1
            }
        }

        var summaries: [BatchSummary] = []
        summaries.reserveCapacity(positions.count)
        var markers: [MarkerInfo?] = []
        var info = LogAppendInfo(firstOffset: 0, lastOffset: 0, maxTimestamp: -1, offsetOfMaxTimestamp: -1,
                                 recordsCount: 0, validBytes: records.readableBytes, logStartOffset: logStartOffset,
                                 completedTransactions: [])
        for position in positions {
            let slice = records.getSlice(at: position, length: records.writerIndex - position)!
            let summary = BatchSummary(try RecordBatchHeader(slice), position: Int64(position - records.readerIndex))
            summaries.append(summary)
            markers.append(summary.isTransactionMarker ? MarkerInfo.read(from: try RecordBatch(slice)) : nil)
            info.recordsCount += Int(summary.recordsCount)
            if summary.maxTimestamp > info.maxTimestamp {
                info.maxTimestamp = summary.maxTimestamp
                info.offsetOfMaxTimestamp = summary.lastOffset
            }
        }
        info.firstOffset = summaries[0].baseOffset
        info.lastOffset = summaries[summaries.count - 1].lastOffset

        if let active = activeSegment.active,
           LogPlanner.shouldRoll(
               .init(baseOffset: activeSegment.baseOffset, size: activeSegment.size,
                     rollingBasedTimestamp: active.rollingBasedTimestamp, created: activeSegment.created,
                     indexFull: active.isFull(maxBytes: config.segmentIndexBytes)),
               appendBytes: records.readableBytes, appendMaxTimestamp: info.maxTimestamp,
               appendLastOffset: info.lastOffset, now: now, config: config) {
            try roll(at: info.firstOffset, now: now)
        } else if info.firstOffset > logEndOffset, activeSegment.size == 0, activeSegment.baseOffset != info.firstOffset {
            // A follower's first batch after a gap: start the segment at its offset.
            try roll(at: info.firstOffset, now: now)
        }

        // The deferred epoch history is written before records follow it in the log.
        try persistDeferredLeaderEpochs()
        let segment = activeSegment
        let previousSize = segment.size
        do {
            try segment.append(records, batches: summaries)
        } catch {
            do {
                try segment.logFile().truncate(to: previousSize)
                segment.size = previousSize
            } catch {
                throw fail(error)
            }
            throw error
        }

        var epochsChanged = false
        for (summary, marker) in zip(summaries, markers) {
            if summary.partitionLeaderEpoch >= 0,
               leaderEpochs.assign(epoch: summary.partitionLeaderEpoch, startOffset: summary.baseOffset) {
                epochsChanged = true
            }
            if let completed = producerState.apply(summary, marker: marker) {
                info.completedTransactions.append(completed)
                if completed.isAborted {
                    segment.appendAbortedTransaction(AbortedTransaction(
                        producerId: completed.producerId, firstOffset: completed.firstOffset,
                        lastOffset: completed.lastOffset,
                        lastStableOffset: producerState.lastStableOffset(after: completed)))
                }
            }
        }
        logEndOffset = info.lastOffset + 1
        if epochsChanged { try writeLeaderEpochs() }
        unflushedMessages += Int64(info.recordsCount)
        if firstUnflushedAppend == nil { firstUnflushedAppend = now }
        if let flushMessages = config.flushMessages, unflushedMessages >= flushMessages {
            try flush(upTo: logEndOffset, now: now)
        }
        return info
    }

    /// Checks an incoming idempotent batch against the producer state (see `SequenceCheck`).
    public func checkSequence(producerId: Int64, producerEpoch: Int16, firstSequence: Int32, lastSequence: Int32) -> SequenceCheck {
        producerState.check(producerId: producerId, producerEpoch: producerEpoch,
                            firstSequence: firstSequence, lastSequence: lastSequence)
    }

    /// The producer's entry (last epoch, last sequence, remembered batches, open transaction), nil when unknown.
    public func producerEntry(_ producerId: Int64) -> ProducerStateEntry? { producerState.entry(producerId) }

    /// Ends the active segment and starts a new one at `offset` (default: the log end). Takes a producer-state
    /// snapshot at the new base offset, as Kafka does on roll.
    public func roll(at offset: Int64? = nil, now: Int64) throws {
        try ensureWritable()
        let base = max(offset ?? logEndOffset, logEndOffset)
        if activeSegment.size == 0 && activeSegment.baseOffset == base { return }
        do {
            try activeSegment.deactivate()
            if activeSegment.size == 0 {
                try activeSegment.delete()
                segments.removeLast()
            }
            let segment = try LogSegment.create(directory: directory, baseOffset: base, now: now, cache: cache,
                                                indexIntervalBytes: config.indexIntervalBytes)
            segments.append(segment)
            directoryDirty = true
            try writeProducerSnapshot()
        } catch {
            throw fail(error)
        }
    }

    /// Writes `<logEndOffset>.snapshot` crash-safely (a torn snapshot would fail its CRC and be ignored anyway).
    func writeProducerSnapshot() throws {
        let bytes = try ProducerSnapshotFile.encode(producerState)
        try fileSystem.writeAtomically(path(LogFileNames.fileName(logEndOffset, LogFileNames.snapshotSuffix)), bytes)
    }
}
