import KafkaProtocol

/// Chooses replicas for new partitions, in the manner of Kafka's StripedReplicaPlacer (KIP-660): leaders rotate
/// over the unfenced brokers from a random starting point so load spreads evenly, followers follow the rotation,
/// and fenced brokers are used only as followers when there are not enough unfenced ones.
///
/// Rack awareness is not implemented yet: every broker is treated as being in one rack.
struct ReplicaPlacer {
    /// Unfenced brokers not in controlled shutdown, by id.
    var unfenced: [Int32]
    /// Fenced brokers not in controlled shutdown, by id.
    var fenced: [Int32]

    init(image: MetadataImage) {
        let usable = image.brokers.values.filter { !$0.inControlledShutdown }
        unfenced = usable.filter { !$0.fenced }.map(\.id).sorted()
        fenced = usable.filter(\.fenced).map(\.id).sorted()
    }

    /// Replica lists for `count` partitions starting at index `startPartition`, or Kafka's explanation of why
    /// the replication factor cannot be met (reported as INVALID_REPLICATION_FACTOR).
    func place(
        startPartition: Int32, count: Int32, replicationFactor: Int16, using rng: inout some RandomNumberGenerator
    ) -> Result<[[Int32]], PlacementError> {
        if replicationFactor <= 0 {
            return .failure(PlacementError(
                "Invalid replication factor \(replicationFactor): the replication factor must be positive."))
        }
        if unfenced.isEmpty {
            return .failure(PlacementError("All brokers are currently fenced."))
        }
        let total = unfenced.count + fenced.count
        if Int(replicationFactor) > total {
            return .failure(PlacementError(
                "The target replication factor of \(replicationFactor) cannot be reached because only \(total) broker(s) are registered."))
        }
        let u = unfenced.count
        let start = Int(rng.next(upperBound: UInt64(u)))
        var result: [[Int32]] = []
        result.reserveCapacity(Int(count))
        for i in 0..<Int(count) {
            let p = Int(startPartition) + i
            let leaderIndex = (start + p) % u
            // After each full turn of leaders, shift the followers by one so that partitions with the same leader
            // do not all share the same followers ("striping").
            let shift = u > 1 ? (p / u) % (u - 1) : 0
            var replicas: [Int32] = [unfenced[leaderIndex]]
            for j in 0..<(u - 1) where replicas.count < Int(replicationFactor) {
                replicas.append(unfenced[(leaderIndex + 1 + (shift + j) % (u - 1)) % u])
            }
            for broker in fenced where replicas.count < Int(replicationFactor) { replicas.append(broker) }
            result.append(replicas)
        }
        return .success(result)
    }
}

/// Why replicas could not be placed.
struct PlacementError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
