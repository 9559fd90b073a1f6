import KafkaProtocol

/// An error code and message for one item of a controller response, as Kafka's `ApiError` carries them.
public struct ApiError: Error, Hashable, Sendable, CustomStringConvertible {
    public var error: KafkaError
    /// Kafka's message for the failure, nil where Kafka sends none (clients then show the code's default text).
    public var message: String?

    public init(_ error: KafkaError, _ message: String? = nil) {
        self.error = error
        self.message = message
    }

    /// Success.
    public static let none = ApiError(.none)

    /// The code as it goes on the wire.
    public var code: Int16 { error.code }

    public var isSuccess: Bool { error == .none }
    public var isFailure: Bool { error != .none }

    public var description: String { message.map { "\(error): \($0)" } ?? "\(error)" }
}

/// A command's answer: the records to commit to the metadata log and the response to send once they are committed.
///
/// The controller's state does not change when it answers: the driver appends `records` to the metadata log, and
/// once they are committed calls `QuorumController.replay(_:)` for each, in order (architecture rule 3, Kafka's
/// `ControllerResult`). The records of one result belong in one batch, so they commit atomically.
public struct ControllerResult<Response: Sendable>: Sendable {
    public var records: [MetadataRecord]
    public var response: Response

    public init(records: [MetadataRecord], response: Response) {
        self.records = records
        self.response = response
    }
}
