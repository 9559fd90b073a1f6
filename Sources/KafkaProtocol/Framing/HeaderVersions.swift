/// Which request and response header versions an API version uses, exactly as Kafka derives them from the schemas.
extension ApiKey {
    /// Request header v2 for flexible versions, v1 otherwise, and v0 for ControlledShutdown v0 (Kafka 3.x and older).
    public func requestHeaderVersion(_ apiVersion: Int16) -> Int16 {
        if self == .controlledShutdown && apiVersion == 0 { return 0 }
        return isFlexible(apiVersion) ? 2 : 1
    }

    /// Response header v1 for flexible versions, v0 otherwise; ApiVersions always answers with v0 (KIP-511), so
    /// that a client that does not yet know the broker's versions can read the answer.
    public func responseHeaderVersion(_ apiVersion: Int16) -> Int16 {
        if self == .apiVersions { return 0 }
        return isFlexible(apiVersion) ? 1 : 0
    }

    /// Whether `apiVersion` of this API uses the flexible encodings (KIP-482).
    public func isFlexible(_ apiVersion: Int16) -> Bool {
        guard let first = firstFlexibleVersion else { return false }
        return apiVersion >= first
    }
}
