import PortcullisConfig

/// Asks a running ``Gateway`` to load its configuration again: `portcullis serve` calls it on
/// SIGHUP and, with `--watch`, when the file changes.
///
/// A reload reads, validates and compiles the whole new configuration away from the request
/// path, including every file it names. Any problem rejects all of it and the running
/// configuration keeps serving; so does a change to a setting that needs a restart (the listener's
/// address, port or TLS, its event loops, the metrics listener). On success one reference is
/// swapped on each event loop: requests in flight finish on the configuration they started with.
public final class ConfigReloader: Sendable {
    /// Reads the configuration to reload to (the same file again, usually).
    public typealias Load = @Sendable () async throws -> GatewayConfig

    let load: Load
    let requests: AsyncStream<CheckedContinuation<ReloadOutcome, Never>?>
    private let continuation: AsyncStream<CheckedContinuation<ReloadOutcome, Never>?>.Continuation

    /// - Parameter load: reads the configuration; a ``ConfigError`` or ``ConfigFileError`` it
    ///   throws is reported as the reload's problems.
    public init(load: @escaping Load) {
        self.load = load
        (self.requests, self.continuation) = AsyncStream.makeStream()
    }

    /// Reloads and returns the outcome (reloads run one at a time, in order).
    public func reload() async -> ReloadOutcome {
        await withCheckedContinuation { done in
            if case .terminated = self.continuation.yield(done) {
                done.resume(returning: .rejected(["the gateway is not running"]))
            }
        }
    }

    /// Asks for a reload without waiting for it (from a signal handler); the outcome is logged.
    public func requestReload() {
        self.continuation.yield(nil)
    }

    /// The gateway stopped: later requests are answered at once, pending ones too.
    func finish() {
        self.continuation.finish()
    }
}

/// What became of a reload.
public enum ReloadOutcome: Sendable, Equatable {
    /// New requests are served from the new configuration, whose source hash this is.
    case reloaded(hash: String)
    /// Nothing changed; the problems, one per entry (`FILE:LINE: key.path: message` where the
    /// configuration names them).
    case rejected([String])
}
