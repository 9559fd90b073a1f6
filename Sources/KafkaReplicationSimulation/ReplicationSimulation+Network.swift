/// Message delivery: delay, loss, the isolated node, paused and crashed recipients.
extension ReplicationSimulation {
    /// Sends `message`; it may be lost, and arrives after 1...maxDelayMs. Between the isolated node and anyone but
    /// the producer nothing arrives.
    mutating func send(_ message: Message, from: Endpoint, to: Endpoint) {
        if let x = isolated, from != .producer, to != .producer, from == .node(x) || to == .node(x) { return }
        if from != .producer && to != .producer, chance(config.lossRate) { return }
        let incarnation: Int
        if case .node(let id) = to { incarnation = nodes[id]!.incarnation } else { incarnation = 0 }
        queue.push(.deliver(to: to, from: from, incarnation: incarnation, message), at: now + uniform(1...config.maxDelayMs))
    }

    mutating func handle(_ event: Event) throws {
        // A paused process handles nothing until it resumes: what arrives for it waits.
        if let id = event.recipient, let n = nodes[id], n.pausedUntil > now {
            queue.push(event, at: n.pausedUntil)
            return
        }
        switch event {
        case .deliver(let to, let from, let incarnation, let message):
            switch to {
            case .node(let id):
                guard let n = nodes[id], n.alive, n.incarnation == incarnation else { return }
                try nodeReceived(id, message, from: from)
            case .controller:
                controllerReceived(message, from: from)
            case .producer:
                try producerReceived(message)
            }
        case .nodeTick(let id, let incarnation):
            guard let n = nodes[id], n.alive, n.incarnation == incarnation else { return }
            try nodeTick(id)
            queue.push(.nodeTick(id, incarnation: incarnation), at: now + 50)
        case .fetchNow(let id, let incarnation):
            guard let n = nodes[id], n.alive, n.incarnation == incarnation else { return }
            sendFetch(id)
        case .flush(let id, let incarnation):
            guard var n = nodes[id], n.alive, n.incarnation == incarnation else { return }
            n.flushedEnd = n.logEndOffset
            n.flushedHighWatermark = n.highWatermark.value
            nodes[id] = n
            queue.push(.flush(id, incarnation: incarnation), at: now + uniform(20...300))
        case .controllerTick:
            controllerTick()
            queue.push(.controllerTick, at: now + 50)
        case .fault:
            injectFault()
        case .restart(let id):
            restart(id)
        case .resume(let id):
            faultActive = false
            _ = id
        case .reconnect(let id):
            if isolated == id { isolated = nil }
            faultActive = false
        case .produce:
            produceNext()
        case .produceTimeout(let id):
            producerTimedOut(id)
        }
    }
}

extension ReplicationSimulation.Event {
    /// The node whose process handles this event, if one does.
    var recipient: Int32? {
        switch self {
        case .deliver(.node(let id), _, _, _), .nodeTick(let id, _), .fetchNow(let id, _), .flush(let id, _): id
        default: nil
        }
    }
}
