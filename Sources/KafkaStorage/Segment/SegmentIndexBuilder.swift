/// The index state of a segment that is being appended to (or rebuilt from its log): the two sparse indexes and
/// what decides their next entries. Pure: fed batch summaries, it produces index entries as Kafka's
/// `LogSegment.append` and `LogSegment.recover` do.
struct SegmentIndexBuilder: Sendable {
    let indexIntervalBytes: Int
    var offsetIndex: OffsetIndex
    var timeIndex: TimeIndex
    /// Log bytes appended since the last offset-index entry.
    var bytesSinceLastIndexEntry = 0
    /// The largest batch maxTimestamp so far and the last offset of that batch.
    var maxTimestampSoFar: TimestampOffset
    /// maxTimestamp of the segment's first batch: what `segment.ms` measures from (Kafka's rollingBasedTimestamp).
    var rollingBasedTimestamp: Int64?
    /// The offset after the last batch seen, nil before any.
    var nextOffset: Int64?

    init(baseOffset: Int64, indexIntervalBytes: Int) {
        self.indexIntervalBytes = indexIntervalBytes
        self.offsetIndex = OffsetIndex(baseOffset: baseOffset)
        self.timeIndex = TimeIndex(baseOffset: baseOffset)
        self.maxTimestampSoFar = .unknown(baseOffset)
    }

    /// Continues from indexes read from disk (a reopened active segment).
    init(offsetIndex: OffsetIndex, timeIndex: TimeIndex, indexIntervalBytes: Int) {
        self.indexIntervalBytes = indexIntervalBytes
        self.offsetIndex = offsetIndex
        self.timeIndex = timeIndex
        self.maxTimestampSoFar = timeIndex.last ?? .unknown(offsetIndex.baseOffset)
    }

    /// Accounts for one batch at `summary.position`.
    mutating func add(_ summary: BatchSummary) {
        if rollingBasedTimestamp == nil { rollingBasedTimestamp = summary.maxTimestamp }
        if summary.maxTimestamp > maxTimestampSoFar.timestamp {
            maxTimestampSoFar = TimestampOffset(timestamp: summary.maxTimestamp, offset: summary.lastOffset)
        }
        if bytesSinceLastIndexEntry > indexIntervalBytes {
            offsetIndex.append(offset: summary.lastOffset, position: summary.position)
            timeIndex.maybeAppend(timestamp: maxTimestampSoFar.timestamp, offset: maxTimestampSoFar.offset)
            bytesSinceLastIndexEntry = 0
        }
        bytesSinceLastIndexEntry += summary.size
        nextOffset = summary.nextOffset
    }

    /// Adds the final time-index entry (the segment's largest timestamp), as Kafka does when a segment stops
    /// being active, so that retention can read it from the file's last entry.
    mutating func seal() {
        if maxTimestampSoFar.timestamp >= 0 {
            timeIndex.maybeAppend(timestamp: maxTimestampSoFar.timestamp, offset: maxTimestampSoFar.offset)
        }
    }

    /// Whether either index has no room for another entry within `maxBytes` (`segment.index.bytes`).
    func isFull(maxBytes: Int) -> Bool { offsetIndex.isFull(maxBytes: maxBytes) || timeIndex.isFull(maxBytes: maxBytes) }

    var indexes: FileHandleCache.LoadedIndexes { .init(offsetIndex: offsetIndex, timeIndex: timeIndex) }
}
