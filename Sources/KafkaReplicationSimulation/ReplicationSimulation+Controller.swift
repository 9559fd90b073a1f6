import KafkaProtocol
import KafkaReplication

/// The controller: registrations, heartbeats and fencing, AlterPartition, election from the ISR.
extension ReplicationSimulation {
    mutating func controllerReceived(_ message: Message, from: Endpoint) {
        switch message {
        case .register(let id):
            // A new incarnation registers only once the previous one is fenced, which moved its leadership away
            // and took it out of the ISR (Kafka answers DUPLICATE_BROKER_REGISTRATION until the session expires).
            if let b = controller.brokers[id], !b.fenced { return }
            let epoch = controller.nextBrokerEpoch
            controller.nextBrokerEpoch += 1
            controller.brokers[id] = SimController.Broker(epoch: epoch, fenced: false, lastHeartbeat: now)
            unfenced(id)
            send(.registered(brokerEpoch: epoch, controller.term, ineligible: controller.ineligible), from: .controller, to: .node(id))
        case .heartbeat(let id, let epoch):
            guard let b = controller.brokers[id], b.epoch == epoch else { return }
            controller.brokers[id]?.lastHeartbeat = now
            // A fenced broker that heartbeats again at its epoch (it was paused or cut off) is unfenced, as
            // Kafka's controller does once the broker has caught up with the metadata log.
            if b.fenced {
                controller.brokers[id]?.fenced = false
                unfenced(id)
            }
        case .alterPartition(let brokerId, let brokerEpoch, let proposal):
            let answer = alterPartition(brokerId: brokerId, brokerEpoch: brokerEpoch, proposal)
            send(.alterPartitionAnswer(proposal, answer), from: .controller, to: from)
        default:
            break
        }
    }

    /// A broker became eligible: an offline partition whose last ISR member it is gets it as leader.
    mutating func unfenced(_ id: Int32) {
        var t = controller.term
        guard t.leader == -1, t.isr.contains(id) else { return }
        t.leader = id
        t.leaderEpoch += 1
        t.partitionEpoch += 1
        commit(t)
    }

    /// Kafka's checks, in its order; an accepted change bumps the partition epoch.
    mutating func alterPartition(brokerId: Int32, brokerEpoch: Int64, _ p: AlterPartitionProposal) -> AlterPartitionAnswer {
        let t = controller.term
        guard let b = controller.brokers[brokerId], b.epoch == brokerEpoch, !b.fenced else { return .refused(.staleBrokerEpoch) }
        guard t.leader == brokerId else { return .refused(.invalidRequest) }  // Kafka answers INVALID_REQUEST here
        guard p.leaderEpoch == t.leaderEpoch else { return .refused(.fencedLeaderEpoch) }
        guard p.partitionEpoch == t.partitionEpoch else { return .refused(.invalidUpdateVersion) }
        guard p.newIsr.contains(brokerId) else { return .refused(.invalidRequest) }
        for (member, epoch) in zip(p.newIsr, p.newIsrBrokerEpochs) {
            guard let m = controller.brokers[member], !m.fenced, t.replicas.contains(member), epoch == -1 || epoch == m.epoch else {
                return .refused(.ineligibleReplica)
            }
        }
        var next = t
        if p.newIsr.count < t.isr.count { report.isrShrinks += 1 } else { report.isrExpansions += 1 }
        next.isr = p.newIsr
        next.partitionEpoch += 1
        commit(next)
        return .accepted(leaderEpoch: next.leaderEpoch, partitionEpoch: next.partitionEpoch, isr: next.isr)
    }

    /// Fences brokers whose session expired, then republishes the partition to every node (brokers follow the
    /// metadata log, so a lost update is only late, never missing).
    mutating func controllerTick() {
        for id in ids {
            guard let b = controller.brokers[id], !b.fenced, now - b.lastHeartbeat > config.sessionTimeoutMs else { continue }
            controller.brokers[id]?.fenced = true
            var t = controller.term
            // The last ISR member stays (Kafka never empties the ISR); the partition is then offline.
            if t.isr.contains(id), t.isr.count > 1 { t.isr.removeAll { $0 == id } }
            if t.leader == id {
                t.leader = t.replicas.first { t.isr.contains($0) && $0 != id && controller.brokers[$0]?.fenced == false } ?? -1
                t.leaderEpoch += 1
            }
            if t != controller.term { t.partitionEpoch += 1 }
            commit(t)
        }
        for id in ids {
            send(.metadata(controller.term, ineligible: controller.ineligible), from: .controller, to: .node(id))
        }
    }

    /// The controller's new registration of the partition.
    mutating func commit(_ t: PartitionTerm) {
        guard t != controller.term else { return }
        if t.leaderEpoch != controller.term.leaderEpoch, t.leader >= 0 { controller.leaders[t.leaderEpoch] = t.leader }
        controller.term = t
        checker.controllerChanged(t)
    }
}
