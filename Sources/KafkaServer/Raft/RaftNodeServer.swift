import KafkaRaft
import Logging
import NIOCore

/// One KRaft node as a process runs it: a `RaftDriver` and its controller listener (a `RequestRouter` of the raft
/// APIs and ApiVersions only), or, for an observer on a broker-only node, the driver alone: it only fetches.
public final class RaftNodeServer: Sendable {
    public let driver: RaftDriver
    /// The controller listener; nil for an observer that serves nothing (a broker-only node has no controller
    /// listener, as with Kafka).
    public let listener: KafkaListener?

    private init(driver: RaftDriver, listener: KafkaListener?) {
        self.driver = driver
        self.listener = listener
    }

    /// Opens the log, starts the driver and binds the controller listener.
    /// - Parameter commands: handlers the controller listener serves besides the raft APIs (the controller's
    ///   broker lifecycle and admin APIs).
    /// - Parameter serve: false for an observer with no controller listener (nothing is bound).
    /// - Parameter connectionLimiter: the controller listener's connection limits (nil: unlimited).
    public static func start(config: RaftDriverConfig, stateMachine: any RaftStateMachine, group: any EventLoopGroup,
                             logger: Logger, commands: [any ApiHandler] = [], serve: Bool = true,
                             connectionLimiter: ConnectionLimiter? = nil) async throws -> RaftNodeServer {
        let driver = try await RaftDriver.start(config: config, stateMachine: stateMachine, group: group)
        guard serve else { return RaftNodeServer(driver: driver, listener: nil) }
        do {
            let listener = try await KafkaListener.bind(
                name: config.listenerName, host: config.listenHost, port: config.port, group: group,
                router: RaftRequestHandler.controllerRouter(driver: driver, commands: commands), maxRequestSize: 104_857_600, logger: logger,
                badConnections: BadConnectionLog(logger: logger, clock: RaftLogStore.systemWallClock), limiter: connectionLimiter)
            return RaftNodeServer(driver: driver, listener: listener)
        } catch {
            await driver.crash()
            throw error
        }
    }

    /// Graceful: the leader resigns, then the listener and the log close.
    public func shutdown() async {
        await driver.shutdown()
        await listener?.close()
    }

    /// As a crash: no resignation, no clean close of the log.
    public func crash() async {
        await listener?.close()
        await driver.crash()
    }
}
