import Logging

/// What an ``AuthPolicy`` decided about one request, and what to answer.
public struct PolicyDecision: Sendable {
    public enum Outcome: String, Sendable, Hashable {
        /// Some entry authenticated the request and found one of its scopes (or the route is public).
        case allowed
        /// No entry authenticated the request: `401`.
        case unauthenticated
        /// An entry authenticated the request but no entry authorized it: `403`.
        case forbidden
        /// An identity source could not decide and no entry allowed the request: `503`.
        case unavailable
    }

    public var outcome: Outcome
    /// The authenticated principal (for `allowed` and `forbidden`); `nil` on public routes.
    public var principal: Principal?
    /// The method of the entry that decided, or of the last one tried, or of the first entry when
    /// none could run; `nil` on public routes. Used as the `auth` metric label.
    public var method: AuthMethod?
    /// `WWW-Authenticate` values to send.
    public var challenges: [String]
    /// Why entries did not authenticate, for the log. Never sent to the client.
    public var failures: [AuthFailure]

    public init(
        outcome: Outcome,
        principal: Principal? = nil,
        method: AuthMethod? = nil,
        challenges: [String] = [],
        failures: [AuthFailure] = []
    ) {
        self.outcome = outcome
        self.principal = principal
        self.method = method
        self.challenges = challenges
        self.failures = failures
    }
}

extension PolicyDecision {
    /// Seconds a client should wait after a `503` before trying again.
    public static let retryAfterSeconds = "5"

    /// Logs why the request was refused at debug level: outcome and failure reasons, never
    /// credentials (``AuthFailure`` descriptions carry none).
    public func logRejection(to logger: Logger, service: String? = nil) {
        // Refusals are the hot 401 path: build nothing unless the line will be written.
        guard logger.logLevel <= .debug else { return }
        var metadata: Logger.Metadata = [
            "outcome": "\(self.outcome.rawValue)",
            "reasons": "\(self.failures.map(\.description).joined(separator: "; "))",
        ]
        if let service { metadata["service"] = "\(service)" }
        logger.debug("request not authorized", metadata: metadata)
    }
}
