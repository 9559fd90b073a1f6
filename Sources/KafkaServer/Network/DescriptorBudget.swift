/// How the process's open-file limit (soft RLIMIT_NOFILE) is shared between client connections, log segment files
/// and everything else, so that no amount of clients can use up the descriptor table.
///
/// Running out of descriptors is not a recoverable error here: on Linux, libdispatch's worker-pool monitor opens
/// /proc/<tid>/stat about once a second and aborts the process (DISPATCH_CLIENT_CRASH) when that open fails
/// with EMFILE. So the broker-wide client limit is `min(max.connections, clientConnections)`, never the bare
/// `max.connections` (default Int32.max).
///
/// The shares:
/// - `reserved`: 10% of the limit, at least 64. The broker's own descriptors that are neither client
///   connections nor cached segment files: stdio, event loops (epoll, eventfd and timerfd each), directory locks,
///   the metadata and Raft logs, checkpoint and index files while they are written, compaction's transient files,
///   outgoing inter-node connections (replica fetchers, forwarding), the controller listener's connections
///   (`controllerConnections` is a quarter of it) and libdispatch's /proc opens. An idle single node uses about
///   20, so 64 leaves room for a few dozen inter-node links; 10% of a large limit scales with the cluster.
/// - `segmentFiles`: the log manager's cache of open segment files (`maxOpenFiles`, 1000 by default). It is
///   capped to half of what is left after the reserve, so that a small limit does not go to segments alone;
///   with a usual limit (tens of thousands and more) the cache keeps its configured size.
/// - `clientConnections`: the rest.
///
/// With a soft limit of 512: 64 reserved (16 of them for the controller listener), 224 segment files, 224
/// clients. With 20,000: 2,000 reserved, 1,000 segment files, 17,000 clients. Below about 130 descriptors the
/// shares are clamped to at least one each and the budget can no longer be kept.
public struct DescriptorBudget: Sendable, Equatable {
    public let softLimit: Int
    public let reserved: Int
    public let controllerConnections: Int
    public let segmentFiles: Int
    public let clientConnections: Int

    /// - Parameters:
    ///   - softLimit: the soft RLIMIT_NOFILE, or nil when it could not be read (then nothing is capped).
    ///   - maxOpenSegmentFiles: the log manager's configured cap of open segment files.
    public init(softLimit: Int?, maxOpenSegmentFiles: Int) {
        guard let softLimit else {
            self.softLimit = .max
            reserved = 0
            controllerConnections = .max
            segmentFiles = maxOpenSegmentFiles
            clientConnections = .max
            return
        }
        self.softLimit = softLimit
        reserved = max(64, softLimit / 10)
        controllerConnections = max(1, reserved / 4)
        let rest = max(0, softLimit - reserved)
        segmentFiles = max(1, min(maxOpenSegmentFiles, rest / 2))
        clientConnections = max(1, rest - segmentFiles)
    }
}
