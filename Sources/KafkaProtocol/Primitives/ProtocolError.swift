/// Errors raised while decoding or encoding Kafka wire data.
///
/// Decoders never trap on bad input: every malformed frame, batch or compressed block ends in one of these.
public enum ProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The buffer ended before the named field could be read.
    case truncated(String)
    /// A length, count or value is out of the range the format allows.
    case invalid(String)
    /// A field that the chosen version cannot carry holds a non-default value (Kafka's UnsupportedVersionException).
    case unsupportedFieldForVersion(message: String, field: String, version: Int16)
    /// The message does not define this version.
    case unsupportedVersion(message: String, version: Int16)
    /// A checksum did not match.
    case corrupt(String)

    public var description: String {
        switch self {
        case .truncated(let what): return "truncated input reading \(what)"
        case .invalid(let what): return "invalid input: \(what)"
        case .unsupportedFieldForVersion(let message, let field, let version):
            return "\(message).\(field) has a non-default value that version \(version) cannot carry"
        case .unsupportedVersion(let message, let version): return "\(message) has no version \(version)"
        case .corrupt(let what): return "corrupt data: \(what)"
        }
    }
}
