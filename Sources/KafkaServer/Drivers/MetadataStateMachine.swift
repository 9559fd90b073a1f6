import KafkaMetadata
import KafkaRaft
import NIOCore

/// The `RaftStateMachine` of the metadata quorum on the Raft driver's side: the committed image, kept only to
/// write snapshots of it (KIP-630).
///
/// Why a second image beside the controller's: the core asks for a snapshot at the offset it has just committed,
/// and this image is exactly the state at that offset, because the driver applies committed records to it
/// synchronously before carrying out `.takeSnapshot`. The controller's own image lives on the MetadataDriver's
/// actor, which replays the driver's `committed` stream later and may be behind (or, with its speculative copy
/// at the active controller, ahead of) the committed offset. Images are values, so this costs one more copy of
/// the metadata, not a lock.
struct MetadataStateMachine: RaftStateMachine {
    /// The image after every committed record applied so far.
    private(set) var image = MetadataImage()
    /// Committed records that did not decode or replay (the controller logs the same failure; this counts it).
    private(set) var failures = 0

    mutating func apply(baseOffset: Int64, records: [ByteBuffer]) {
        do {
            let decoded = try records.map { try MetadataRecord.decode($0) }
            try image.replay(decoded)
        } catch {
            // As in MetadataDriver.replayCommitted: the batch is skipped whole and the image kept.
            failures += 1
        }
    }

    func snapshotRecords() throws -> [ByteBuffer] {
        try image.snapshotRecords().map { try $0.encoded() }
    }

    mutating func load(snapshot id: SnapshotId, records: [ByteBuffer]) throws {
        image = try MetadataImage.loading(snapshot: try records.map { try MetadataRecord.decode($0) }, after: image)
    }
}
