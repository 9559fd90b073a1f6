import KafkaProtocol

/// The handlers a broker registers; ApiVersions advertises exactly these.
public enum BrokerHandlers {
    public static func router(_ context: BrokerContext) -> RequestRouter {
        let box = RouterBox()
        let handlers: [any ApiHandler] = [
            ApiVersionsHandler(advertised: { box.router?.advertisedVersions ?? [] }),
            MetadataHandler(context: context),
            ProduceHandler(context: context),
            FetchHandler(context: context),
            ListOffsetsHandler(context: context),
            CreateTopicsHandler(controller: context.controller),
            DeleteTopicsHandler(controller: context.controller),
            InitProducerIdHandler(context: context),
            FindCoordinatorHandler(context: context),
            DescribeClusterHandler(context: context),
            DescribeConfigsHandler(context: context),
            IncrementalAlterConfigsHandler(controller: context.controller),
            AlterConfigsHandler(controller: context.controller),
            CreatePartitionsHandler(controller: context.controller),
            DeleteRecordsHandler(context: context),
            DescribeLogDirsHandler(context: context),
            OffsetForLeaderEpochHandler(context: context),
            DescribeTopicPartitionsHandler(context: context),
            DescribeProducersHandler(context: context),
            ElectLeadersHandler(controller: context.controller),
            JoinGroupHandler(context: context),
            SyncGroupHandler(context: context),
            HeartbeatHandler(context: context),
            LeaveGroupHandler(context: context),
            OffsetCommitHandler(context: context),
            OffsetFetchHandler(context: context),
            DescribeGroupsHandler(context: context),
            ListGroupsHandler(context: context),
            DeleteGroupsHandler(context: context),
            OffsetDeleteHandler(context: context),
            ConsumerGroupHeartbeatHandler(context: context),
            ConsumerGroupDescribeHandler(context: context),
            AddPartitionsToTxnHandler(context: context),
            AddOffsetsToTxnHandler(context: context),
            TxnOffsetCommitHandler(context: context),
            EndTxnHandler(context: context),
            WriteTxnMarkersHandler(context: context),
            DescribeTransactionsHandler(context: context),
            ListTransactionsHandler(context: context),
        ]
        let router = RequestRouter(handlers: handlers)
        box.router = router
        return router
    }
}

/// Lets ApiVersions see the router it belongs to (set once, before any request is served).
final class RouterBox: @unchecked Sendable {
    // Written once during start-up, before the listener accepts connections; read-only afterwards.
    var router: RequestRouter?
}
