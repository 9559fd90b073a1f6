import KafkaProtocol
import NIOCore

/// Snapshots (KIP-630): taken every `metadata.log.max.record.bytes.between.snapshots` committed bytes, or once
/// `metadata.log.max.snapshot.interval.ms` has passed with records committed since the last one (KIP-876), the log
/// prefix behind them deleted, served to lagging followers with FetchSnapshot.
extension RaftNode {
    /// Whether a snapshot is due: enough committed bytes, or (with the time trigger on) enough time and any bytes.
    var snapshotDue: Bool {
        if bytesSinceSnapshot >= config.maxBytesBetweenSnapshots { return true }
        return config.maxSnapshotIntervalMs > 0 && bytesSinceSnapshot > 0 && now - lastSnapshotAtMs >= config.maxSnapshotIntervalMs
    }

    mutating func maybeTakeSnapshot() {
        guard pendingSnapshot == nil, snapshotDue,
              committed > log.startOffset, let epoch = log.epoch(before: committed) else { return }
        let id = SnapshotId(endOffset: committed, epoch: epoch)
        pendingSnapshot = id
        actions.append(.takeSnapshot(id))
    }

    mutating func onSnapshotWritten(_ id: SnapshotId, _ bytes: ByteBuffer) {
        guard pendingSnapshot == id else { return }
        pendingSnapshot = nil
        guard id.endOffset > (latestSnapshot?.endOffset ?? -1) else { return }
        latestSnapshot = id
        snapshotBytes = bytes
        lastSnapshotAtMs = now
        bytesSinceSnapshot = log.batches(from: id.endOffset, to: committed).reduce(0) { $0 + $1.sizeInBytes }
        // Kafka keeps segments behind a snapshot only for retention; this core keeps none, so any replica that
        // is behind moves to FetchSnapshot.
        log.deletePrefix(before: id)
        actions.append(.deleteLogBefore(id))
    }

    mutating func handleFetchSnapshotRequest(_ r: FetchSnapshotRequestData) -> FetchSnapshotResponseData {
        guard hasValidClusterId(r.clusterId) else {
            return FetchSnapshotResponseData(errorCode: .inconsistentClusterId, snapshotId: r.snapshotId, currentLeader: leaderAndEpoch)
        }
        if let error = validateLeaderOnlyRequest(epoch: r.currentLeaderEpoch) {
            return FetchSnapshotResponseData(partitionError: error, snapshotId: r.snapshotId, currentLeader: leaderAndEpoch)
        }
        guard latestSnapshot == r.snapshotId, let bytes = snapshotBytes else {
            return FetchSnapshotResponseData(partitionError: .snapshotNotFound, snapshotId: r.snapshotId, currentLeader: leaderAndEpoch)
        }
        let size = Int64(bytes.readableBytes)
        guard r.position >= 0, r.position < size || (size == 0 && r.position == 0) else {
            return FetchSnapshotResponseData(partitionError: .positionOutOfRange, snapshotId: r.snapshotId, currentLeader: leaderAndEpoch)
        }
        noteVoterContact(r.replicaId)
        let length = Int(min(size - r.position, Int64(max(1, min(r.maxBytes, config.fetchMaxBytes)))))
        let chunk = bytes.getSlice(at: bytes.readerIndex + Int(r.position), length: length) ?? ByteBuffer()
        return FetchSnapshotResponseData(snapshotId: r.snapshotId, currentLeader: leaderAndEpoch, size: size,
                                         position: r.position, bytes: chunk)
    }

    mutating func handleFetchSnapshotResponse(from: Int32, _ r: FetchSnapshotResponseData) {
        if r.errorCode != .none { requests.backoff(from, now: now); return }
        if r.partitionError == .snapshotNotFound || r.partitionError == .positionOutOfRange, case .follower(var f) = role {
            f.download = nil
            role = .follower(f)
            return
        }
        if handleCommonResponse(error: r.partitionError, leader: r.currentLeader) { requests.backoff(from, now: now); return }
        guard r.partitionError == .none, case .follower(var f) = role, f.leaderId == from, var download = f.download,
              download.id == r.snapshotId, r.position == Int64(download.bytes.readableBytes) else { return }
        f.fetchDeadline = now + config.fetchTimeoutMs
        var chunk = r.bytes
        download.bytes.writeBuffer(&chunk)
        guard Int64(download.bytes.readableBytes) >= r.size else {
            f.download = download
            role = .follower(f)
            return
        }
        // The whole snapshot is here: it replaces the log, and everything it covers is committed.
        f.download = nil
        role = .follower(f)
        installSnapshot(download.id, download.bytes)
    }

    mutating func installSnapshot(_ id: SnapshotId, _ bytes: ByteBuffer) {
        if id.endOffset < committed {
            actions.append(.fatal("snapshot \(id) ends below the committed offset \(committed)"))
            return
        }
        log.reset(to: id)
        flushedEnd = id.endOffset
        flushRequested = id.endOffset
        latestSnapshot = id
        snapshotBytes = bytes
        pendingSnapshot = nil
        bytesSinceSnapshot = 0
        lastSnapshotAtMs = now
        committed = id.endOffset
        highWatermark = max(highWatermark ?? id.endOffset, id.endOffset)
        actions.append(.installSnapshot(id, bytes))
    }
}
