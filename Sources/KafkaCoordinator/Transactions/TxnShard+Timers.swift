/// The periodic sweeps: aborting timed-out transactions and expiring idle transactional ids.
extension TransactionCoordinatorShard {
    mutating func timerFired(_ key: TxnTimerKey) {
        // Ignore timers that were replaced by a later deadline or fired early.
        guard let deadline = timerDeadlines[key], deadline <= now else { return }
        timerDeadlines[key] = nil
        switch key {
        case .abortTimedOutTransactions:
            for id in transactions.keys.sorted() {
                let meta = transactions[id]!
                // Kafka's test: open for longer than the timeout (strictly), counted from the first partition.
                if meta.state == .ongoing, meta.startTimestamp + Int64(meta.timeoutMs) < now {
                    abortFencing(meta)
                }
            }
            schedule(.abortTimedOutTransactions, after: config.abortTimedOutTransactionsIntervalMs)
        case .expireTransactionalIds:
            for id in transactions.keys.sorted() {
                let meta = transactions[id]!
                let idle = meta.state == .empty || meta.state == .completeCommit || meta.state == .completeAbort
                if idle, meta.lastUpdateTimestamp <= now - config.transactionalIdExpirationMs {
                    out.records.append(.tombstone(id))
                }
            }
            schedule(.expireTransactionalIds, after: config.removeExpiredTransactionalIdsIntervalMs)
        }
    }
}
