extension LogManager {
    /// Of the compacted logs that are not open, opens the one whose directory listing looks dirtiest and cleanable
    /// (`UnopenedLogEstimate`) and returns it with its config, cleaner checkpoint and listing signature; nil when
    /// none does. Costs one directory listing and a stat per segment file of each such log — no file is opened
    /// and nothing is read — so it runs only when no open log needs cleaning (Kafka's cleaner considers every
    /// log; ours looks at the ones not open last).
    func openDirtiestUnopened(now: Int64) -> (TopicPartition, PartitionHandle, LogConfig, Int64?, [Int64])? {
        let unopened: [(TopicPartition, String, LogConfig, PartitionLog.Checkpoints, [Int64]?)] = state.withLock { state in
            guard !state.closed else { return [] }
            return state.slots.compactMap { tp, slot in
                guard slot.config.compact, slot.handle == nil, state.cleaning[tp] == nil,
                      !state.uncleanable.contains(tp) else { return nil }
                return (tp, directoryPath(slot.directoryIndex, tp), slot.config, slot.checkpoints, state.overRatedUnopened[tp])
            }
        }
        var best: (tp: TopicPartition, ratio: Double, signature: [Int64])?
        for (tp, directory, config, checkpoints, overRated) in unopened {
            guard let names = try? fileSystem.listDirectory(directory) else { continue }
            var files: [UnopenedLogEstimate.SegmentFile] = []
            for name in names {
                guard let (base, suffix) = LogFileNames.parse(name), suffix == LogFileNames.logSuffix else { continue }
                let path = FilePath.join(directory, name)
                guard let size = try? fileSystem.fileSize(path), let modified = try? fileSystem.modificationTime(path) else { continue }
                files.append(.init(baseOffset: base, size: size, largestTimestamp: modified))
            }
            let signature = UnopenedLogEstimate.signature(files)
            guard signature != overRated, let logState = UnopenedLogEstimate.state(files, checkpoints: checkpoints) else { continue }
            let assessment = CleanerPlanner.assess(logState, config: config, now: now)
            guard assessment.isCleanable(minCleanableRatio: config.minCleanableDirtyRatio),
                  assessment.cleanableRatio > best?.ratio ?? -1 else { continue }
            best = (tp, assessment.cleanableRatio, signature)
        }
        guard let best, let handle = try? log(best.tp, now: now) else { return nil }
        return state.withLock { state in
            guard let slot = state.slots[best.tp], slot.handle === handle else { return nil }
            return (best.tp, handle, slot.config, slot.checkpoints.cleanerOffset, best.signature)
        }
    }
}
