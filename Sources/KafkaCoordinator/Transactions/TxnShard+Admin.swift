import KafkaProtocol

/// DescribeTransactions and ListTransactions (KIP-664; duration filter KIP-994; id pattern KIP-1152).
extension TransactionCoordinatorShard {
    mutating func describeTransactions(_ ctx: RequestContext, _ req: DescribeTransactionsRequest) {
        var r = DescribeTransactionsResponse()
        r.transactionStates = req.transactionalIds.map { id in
            var s = DescribeTransactionsResponse.TransactionState()
            s.transactionalId = id
            guard !id.isEmpty else {
                s.errorCode = KafkaError.invalidRequest.rawValue
                return s
            }
            guard let meta = transactions[id], meta.state != .dead else {
                s.errorCode = KafkaError.transactionalIdNotFound.rawValue
                return s
            }
            s.transactionState = meta.state.name
            s.transactionTimeoutMs = meta.timeoutMs
            s.transactionStartTimeMs = meta.startTimestamp
            s.producerId = meta.producerId
            s.producerEpoch = meta.producerEpoch
            let byTopic = Dictionary(grouping: meta.partitions, by: \.topic)
            s.topics = byTopic.keys.sorted().map { topic in
                var t = DescribeTransactionsResponse.TopicData()
                t.topic = topic
                t.partitions = byTopic[topic]!.map(\.partition).sorted()
                return t
            }
            return s
        }
        reply(ctx, .describeTransactions(r))
    }

    mutating func listTransactions(_ ctx: RequestContext, _ req: ListTransactionsRequest) {
        var r = ListTransactionsResponse()
        let states = Set(req.stateFilters.compactMap(TransactionState.init(name:)))
        r.unknownStateFilters = req.stateFilters.filter { TransactionState(name: $0) == nil }
        let producerIds = Set(req.producerIdFilters)
        var pattern: Regex<AnyRegexOutput>?
        if let p = req.transactionalIdPattern, !p.isEmpty {
            guard let compiled = try? Regex(p) else {
                r.errorCode = KafkaError.invalidRequest.rawValue
                reply(ctx, .listTransactions(r))
                return
            }
            pattern = compiled
        }
        for id in transactions.keys.sorted() {
            let meta = transactions[id]!
            // Dead ids are being removed; Kafka hides them.
            if meta.state == .dead { continue }
            if !producerIds.isEmpty && !producerIds.contains(meta.producerId) { continue }
            if !req.stateFilters.isEmpty && !states.contains(meta.state) { continue }
            // KIP-994: only transactions running longer than the duration.
            if req.durationFilter >= 0 && now - meta.startTimestamp <= req.durationFilter { continue }
            if let pattern, (try? pattern.wholeMatch(in: id)) == nil { continue }
            var s = ListTransactionsResponse.TransactionState()
            s.transactionalId = id
            s.producerId = meta.producerId
            s.transactionState = meta.state.name
            r.transactionStates.append(s)
        }
        reply(ctx, .listTransactions(r))
    }
}
