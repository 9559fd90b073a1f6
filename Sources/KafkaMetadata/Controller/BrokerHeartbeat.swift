import KafkaProtocol

/// What a broker's heartbeat says (the fields of BrokerHeartbeatRequest the controller acts on).
public struct BrokerHeartbeatSpec: Hashable, Sendable {
    public var brokerId: Int32
    public var brokerEpoch: Int64
    /// The highest metadata log offset the broker has replayed.
    public var currentMetadataOffset: Int64
    public var wantFence: Bool
    public var wantShutDown: Bool

    public init(brokerId: Int32, brokerEpoch: Int64, currentMetadataOffset: Int64, wantFence: Bool = false,
                wantShutDown: Bool = false) {
        self.brokerId = brokerId
        self.brokerEpoch = brokerEpoch
        self.currentMetadataOffset = currentMetadataOffset
        self.wantFence = wantFence
        self.wantShutDown = wantShutDown
    }
}

/// The controller's answer to a heartbeat (BrokerHeartbeatResponse).
public struct BrokerHeartbeatResult: Hashable, Sendable {
    public var error: ApiError
    /// Whether the broker has replayed the metadata log up to its own registration.
    public var isCaughtUp: Bool
    /// Whether the broker is fenced once this heartbeat's records are committed.
    public var isFenced: Bool
    public var shouldShutDown: Bool

    public init(error: ApiError = .none, isCaughtUp: Bool = false, isFenced: Bool = true, shouldShutDown: Bool = false) {
        self.error = error
        self.isCaughtUp = isCaughtUp
        self.isFenced = isFenced
        self.shouldShutDown = shouldShutDown
    }
}

extension QuorumController {
    /// BrokerHeartbeat: renews the broker's session, and unfences a fenced broker once it has caught up with the
    /// metadata log past its own registration record, whose offset is its epoch (KIP-631). A broker asking to be
    /// fenced, or to shut down, is fenced at once: controlled shutdown (leadership moved away first, then
    /// SHUTDOWN_NOW) is not modelled yet, and fencing moves leadership the same way.
    ///
    /// Mutating because the session is soft state that changes when the heartbeat arrives, not when records
    /// commit; the registration changes still come back as records.
    public mutating func brokerHeartbeat(_ hb: BrokerHeartbeatSpec, now: Int64) -> ControllerResult<BrokerHeartbeatResult> {
        if let error = checkBrokerEpoch(hb.brokerId, hb.brokerEpoch) {
            return ControllerResult(records: [], response: BrokerHeartbeatResult(error: error))
        }
        sessions.touch(hb.brokerId, brokerEpoch: hb.brokerEpoch, now: now)
        guard let broker = image.brokers[hb.brokerId] else {
            return ControllerResult(records: [], response: BrokerHeartbeatResult(error: .none))
        }
        let caughtUp = hb.currentMetadataOffset >= broker.epoch
        if broker.fenced {
            guard !hb.wantFence, !hb.wantShutDown, caughtUp else {
                return ControllerResult(records: [], response: BrokerHeartbeatResult(
                    isCaughtUp: caughtUp, isFenced: true, shouldShutDown: hb.wantShutDown))
            }
            let unfence = unfenceBroker(hb.brokerId, brokerEpoch: hb.brokerEpoch)
            return ControllerResult(records: unfence.records, response: BrokerHeartbeatResult(
                error: unfence.response, isCaughtUp: true, isFenced: false))
        }
        guard hb.wantFence || hb.wantShutDown else {
            return ControllerResult(records: [], response: BrokerHeartbeatResult(isCaughtUp: caughtUp, isFenced: false))
        }
        let fence = fenceBroker(hb.brokerId, brokerEpoch: hb.brokerEpoch)
        return ControllerResult(records: fence.records, response: BrokerHeartbeatResult(
            error: fence.response, isCaughtUp: caughtUp, isFenced: true, shouldShutDown: hb.wantShutDown))
    }

    /// The controller's clock tick: fences one unfenced broker whose session has expired, if any (Kafka's
    /// `maybeFenceOneStaleBroker`, one at a time so that each fencing's leader moves are computed against the
    /// image after the previous one). Returns the fenced broker's id, or an empty list. When nothing is fenced it runs
    /// the automatic preferred-leader elections that are due (`LeaderBalance.swift`).
    ///
    /// An unfenced broker the sessions do not know at its current epoch (this controller just became active, or
    /// the broker just registered) starts a session now: it gets one full timeout to heartbeat, as Kafka's
    /// heartbeat manager touches every broker it registers.
    public mutating func tick(now: Int64) -> ControllerResult<[Int32]> {
        sessions.forget(keeping: image.brokers.keys)
        var stale: (id: Int32, epoch: Int64, at: Int64)?
        for broker in image.brokers.values.sorted(by: { $0.id < $1.id }) where !broker.fenced {
            guard let contact = sessions.lastContact[broker.id], contact.brokerEpoch == broker.epoch else {
                sessions.touch(broker.id, brokerEpoch: broker.epoch, now: now)
                continue
            }
            // The longest-silent broker goes first.
            if sessions.isExpired(contact.atMs, now: now), contact.atMs < (stale?.at ?? .max) {
                stale = (broker.id, broker.epoch, contact.atMs)
            }
        }
        // Nothing to fence: the automatic preferred-leader elections, if due (computed against this image; a
        // fencing tick leaves them to the next one).
        guard let stale else { return ControllerResult(records: balanceLeadersIfDue(now: now), response: []) }
        let fence = fenceBroker(stale.id, brokerEpoch: stale.epoch)
        return ControllerResult(records: fence.records, response: fence.response.isSuccess ? [stale.id] : [])
    }
}
