import NIOConcurrencyHelpers

/// Lets concurrent callers that need the same expensive result share one computation.
///
/// The first caller for a key (the leader) runs the work itself, in its own task; callers arriving
/// while it runs suspend until the leader hands them its result. Once it finishes, the next caller
/// starts afresh (results are cached elsewhere). The work must not depend on the leader's task
/// staying uncancelled: followers receive whatever it returns.
///
/// The leader runs the work inline rather than in a new `Task`: a task per miss, and the thread
/// hop to await it, were about a third of a whole HS256 verification (`JWT.verify.HS256`, perf).
public final class SingleFlight<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let waiting = NIOLockedValueBox<[Key: [UnsafeContinuation<Value?, Never>]]>([:])

    public init() {}

    /// Runs `operation` for `key`, or joins the run already under way.
    public func run(_ key: Key, _ operation: () async -> Value) async -> Value {
        while true {
            let leads = self.waiting.withLockedValue { waiting in
                guard waiting[key] == nil else { return false }
                waiting[key] = []
                return true
            }
            if leads {
                let value = await operation()
                let followers = self.waiting.withLockedValue { $0.removeValue(forKey: key) } ?? []
                for follower in followers { follower.resume(returning: value) }
                return value
            }
            // Join the run under way; if it finished in between, nil sends us round to lead.
            let joined: Value? = await withUnsafeContinuation { continuation in
                let registered = self.waiting.withLockedValue { waiting in
                    guard waiting[key] != nil else { return false }
                    waiting[key]?.append(continuation)
                    return true
                }
                if !registered { continuation.resume(returning: nil) }
            }
            if let joined { return joined }
        }
    }

    /// How many keys have work under way.
    public var runningCount: Int { self.waiting.withLockedValue { $0.count } }

    /// How many callers wait for another's run, over all keys.
    package var followerCount: Int { self.waiting.withLockedValue { $0.values.reduce(0) { $0 + $1.count } } }
}
