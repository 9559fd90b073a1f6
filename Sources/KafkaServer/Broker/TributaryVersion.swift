/// The release this build is, as `tributary --version` and the startup log print it.
public enum TributaryVersion {
    /// Tributary's own version.
    public static let version = "0.3.0"
    /// The Apache Kafka release whose protocol, formats and behaviour this build follows.
    public static let kafkaVersion = "4.3.1"
    /// `kafka-server-start.sh --version` prints `<version> (Commit:<id>)`; we print the same shape, with the Kafka
    /// release we follow where Kafka names its commit.
    public static var line: String { "\(version) (Tributary; Kafka \(kafkaVersion) compatible)" }
}
