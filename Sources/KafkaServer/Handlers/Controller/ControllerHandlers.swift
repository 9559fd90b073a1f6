import KafkaProtocol

/// The controller's own APIs on its listener, beside the raft APIs: what brokers send the active controller
/// (Kafka's `ControllerApis`). The admin handlers are the broker's, run on this node's controller.
enum ControllerHandlers {
    static func commands(_ controller: any ControllerChannel, clusterId: String) -> [any ApiHandler] {
        [
            BrokerRegistrationHandler(clusterId: clusterId, controller: controller),
            BrokerHeartbeatHandler(controller: controller),
            AllocateProducerIdsHandler(controller: controller),
            AlterPartitionHandler(controller: controller),
            CreateTopicsHandler(controller: controller),
            DeleteTopicsHandler(controller: controller),
            CreatePartitionsHandler(controller: controller),
            IncrementalAlterConfigsHandler(controller: controller),
            AlterConfigsHandler(controller: controller),
            ElectLeadersHandler(controller: controller),
        ]
    }

    /// A controller listener's router: `raft` and `commands`, Envelope when there are commands (it serves the
    /// embedded request with this same router), and ApiVersions advertising exactly these.
    static func router(raft: [any ApiHandler], commands: [any ApiHandler]) -> RequestRouter {
        var handlers = raft + commands
        let box = RouterBox()
        if !commands.isEmpty { handlers.append(EnvelopeHandler(router: box)) }
        let advertised = handlers.map { ($0.apiKey, $0.versions) } + [(ApiKey.apiVersions, 0...4 as ClosedRange<Int16>)]
        handlers.append(ApiVersionsHandler(advertised: { advertised }))
        let router = RequestRouter(handlers: handlers)
        box.router = router
        return router
    }
}
