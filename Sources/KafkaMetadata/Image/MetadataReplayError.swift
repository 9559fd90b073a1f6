import KafkaProtocol

/// A record that cannot apply to the image it is replayed on. Kafka's controller treats these as fatal: the log
/// and the in-memory state disagree, so the driver must stop rather than carry on with a wrong image.
public struct MetadataReplayError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "metadata replay: \(message)" }
}
