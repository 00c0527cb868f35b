import NIOConcurrencyHelpers

/// Lets concurrent callers that need the same expensive result share one computation.
///
/// The first caller for a key starts the work; callers arriving while it runs await the same
/// result. Once it finishes, the next caller starts afresh (results are cached elsewhere).
public final class SingleFlight<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let inFlight = NIOLockedValueBox<[Key: Task<Value, Never>]>([:])

    public init() {}

    /// Runs `operation` for `key`, or joins the run already under way.
    public func run(_ key: Key, _ operation: @escaping @Sendable () async -> Value) async -> Value {
        let task = self.inFlight.withLockedValue { inFlight in
            if let running = inFlight[key] { return running }
            let task = Task {
                let value = await operation()
                self.inFlight.withLockedValue { _ = $0.removeValue(forKey: key) }
                return value
            }
            inFlight[key] = task
            return task
        }
        return await task.value
    }

    /// How many keys have work under way.
    public var runningCount: Int { self.inFlight.withLockedValue { $0.count } }
}
