import KafkaProtocol
import KafkaStorage

#if canImport(Glibc)
import Glibc
#endif

/// DescribeLogDirs (key 35), versions 0-5: per log directory, the partitions it holds with their sizes (offset lag
/// 0: there are no future replicas), and from v4 the directory's total and usable bytes (statvfs).
struct DescribeLogDirsHandler: ApiHandler {
    let apiKey = ApiKey.describeLogDirs
    let versions: ClosedRange<Int16> = 0...5
    let context: BrokerContext

    func handle(_ request: any KafkaRequest, context rc: RequestContext) async throws -> RequestOutcome {
        let req = request as! DescribeLogDirsRequest
        var wanted: Set<TopicPartition>? = nil
        if let topics = req.topics {
            wanted = Set(topics.flatMap { t in t.partitions.map { TopicPartition(t.topic, $0) } })
        }
        var response = DescribeLogDirsResponse()
        let sizes = context.replicas.partitionSizes()
        for dir in context.config.logDirs {
            var result = DescribeLogDirsResponse.DescribeLogDirsResult()
            result.logDir = dir
            var byTopic: [String: [DescribeLogDirsResponse.DescribeLogDirsPartition]] = [:]
            for entry in sizes where samePath(entry.directory, dir) && (wanted?.contains(entry.partition) ?? true) {
                var p = DescribeLogDirsResponse.DescribeLogDirsPartition()
                p.partitionIndex = entry.partition.partition
                p.partitionSize = entry.size
                byTopic[entry.partition.topic, default: []].append(p)
            }
            result.topics = byTopic.keys.sorted().map { name in
                var t = DescribeLogDirsResponse.DescribeLogDirsTopic()
                t.name = name
                t.partitions = byTopic[name]!.sorted { $0.partitionIndex < $1.partitionIndex }
                return t
            }
            if rc.apiVersion >= 4 {
                var st = statvfs()
                if statvfs(dir, &st) == 0 {
                    result.totalBytes = Int64(st.f_blocks) * Int64(st.f_frsize)
                    result.usableBytes = Int64(st.f_bavail) * Int64(st.f_frsize)
                }
            }
            response.results.append(result)
        }
        return .respond(response)
    }

    /// Whether two spellings name one directory (`./data` and `data/`).
    private func samePath(_ a: String, _ b: String) -> Bool {
        func norm(_ p: String) -> String {
            var s = p
            while s.hasSuffix("/") && s.count > 1 { s.removeLast() }
            if s.hasPrefix("./") { s.removeFirst(2) }
            return s
        }
        return norm(a) == norm(b)
    }
}
