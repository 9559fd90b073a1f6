import Synchronization

/// The delivery result of one produced record, awaitable from any task: `try await delivery.metadata`.
public final class Delivery: Sendable {
    private enum State {
        case pending([CheckedContinuation<RecordMetadata, any Error>])
        case done(Result<RecordMetadata, KafkaClientError>)
    }

    private let state = Mutex(State.pending([]))

    init() {}

    /// Where the record landed, once the broker acknowledged it; throws the error that failed it.
    public var metadata: RecordMetadata {
        get async throws {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<RecordMetadata, any Error>) in
                let done = state.withLock { s -> Result<RecordMetadata, KafkaClientError>? in
                    switch s {
                    case .pending(var waiters):
                        waiters.append(c)
                        s = .pending(waiters)
                        return nil
                    case .done(let r):
                        return r
                    }
                }
                if let done { c.resume(with: done.mapError { $0 as any Error }) }
            }
        }
    }

    /// Completes the delivery; later calls are ignored.
    func complete(_ result: Result<RecordMetadata, KafkaClientError>) {
        let waiters = state.withLock { s -> [CheckedContinuation<RecordMetadata, any Error>] in
            guard case .pending(let w) = s else { return [] }
            s = .done(result)
            return w
        }
        for w in waiters { w.resume(with: result.mapError { $0 as any Error }) }
    }
}
