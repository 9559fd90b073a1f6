import KafkaMetadata
import KafkaProtocol
import Logging
import Synchronization

/// The broker's side of its registration (Kafka's BrokerLifecycleManager): register with the controller, heartbeat
/// until unfenced, then heartbeat every `broker.heartbeat.interval.ms` so that the controller's session for this
/// broker stays alive. Works through any `ControllerChannel`: the in-process controller today, a remote one later.
final class BrokerLifecycle: Sendable {
    let controller: any ControllerChannel
    let cache: MetadataCache
    let nodeId: Int32
    let intervalMs: Int64
    let logger: Logger
    private let epoch: OwnBrokerEpoch
    private let inFlight = Mutex(0)
    /// Heartbeats waiting on a busy controller beyond this are skipped: with the default 2 s interval, eight cover
    /// more than the 9 s session, so a controller stalled that long still finds a recent one in its queue.
    static let maxInFlight = 8

    init(controller: any ControllerChannel, cache: MetadataCache, nodeId: Int32, epoch: OwnBrokerEpoch, intervalMs: Int64,
         logger: Logger) {
        self.controller = controller
        self.epoch = epoch
        self.cache = cache
        self.nodeId = nodeId
        self.intervalMs = intervalMs
        self.logger = logger
    }

    /// This broker's epoch once registered, else -1.
    var brokerEpoch: Int64 { epoch.current }

    /// Registers (fenced, as Kafka does) and heartbeats until the controller unfences this broker, at most
    /// `attempts` times: the in-process image is caught up as soon as the registration commits, so the first
    /// heartbeat normally unfences.
    func register(_ spec: BrokerRegistrationSpec, attempts: Int = 50) async throws {
        let registration = try await controller.registerBroker(spec, fenced: true)
        guard registration.error.isSuccess else { throw registration.error }
        epoch.set(registration.brokerEpoch)
        for _ in 0..<attempts {
            let reply = try await heartbeat()
            guard reply.error.isSuccess else { throw reply.error }
            if !reply.isFenced { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ApiError(.brokerNotAvailable, "broker \(nodeId) was not unfenced after \(attempts) heartbeats")
    }

    /// Registers as `register` does, retrying every 500 ms until it succeeds or the task is cancelled: in a quorum
    /// the registration is refused with NOT_CONTROLLER until this node's controller is the active one.
    func registerRetrying(_ spec: BrokerRegistrationSpec) async {
        var attempts = 0
        while !Task.isCancelled {
            do {
                try await register(spec)
                logger.info("broker \(nodeId) registered with epoch \(brokerEpoch) and unfenced")
                return
            } catch {
                attempts += 1
                if attempts == 1 || attempts % 120 == 0 {
                    logger.info("broker \(nodeId) not registered yet (\(error)); retrying every 500 ms")
                }
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    func heartbeat() async throws -> BrokerHeartbeatResult {
        try await controller.brokerHeartbeat(BrokerHeartbeatSpec(
            brokerId: nodeId, brokerEpoch: brokerEpoch, currentMetadataOffset: cache.offset))
    }

    /// Heartbeats until cancelled. Each is sent on the interval without waiting for the previous answer (up to
    /// `maxInFlight`), because a heartbeat counts from when the controller received it.
    func run() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(intervalMs))
            let admitted = inFlight.withLock { n -> Bool in
                guard n < Self.maxInFlight else { return false }
                n += 1
                return true
            }
            guard admitted else { continue }
            Task {
                defer { inFlight.withLock { $0 -= 1 } }
                do {
                    let reply = try await heartbeat()
                    if reply.error.error == .notController {
                        // In a quorum, this node's controller is not the active one (remote heartbeats: later).
                        logger.debug("heartbeat of broker \(nodeId): \(reply.error)")
                    } else if reply.error.isFailure {
                        logger.warning("heartbeat of broker \(nodeId) refused: \(reply.error)")
                    } else if reply.isFenced {
                        logger.warning("broker \(nodeId) is fenced; it is unfenced once caught up with the metadata log")
                    }
                } catch {
                    logger.warning("heartbeat of broker \(nodeId) failed: \(error)")
                }
            }
        }
    }
}
