import PortcullisMetrics

/// The declarative `auth` array of a service or resource, evaluated per request (contract §4).
///
/// Entries are tried in order, each only when the request presents its kind of credentials
/// (`Basic` → file and LDAP entries, `Bearer` → JWT and introspection entries, mTLS entries look at
/// the TLS session). The request passes when one entry both authenticates it and finds one of the
/// entry's scopes. Otherwise: `503` if an identity source was unavailable, `403` if some entry
/// authenticated it, else `401` with one challenge per scheme the policy accepts.
///
/// A policy is an immutable value built once per route; evaluation takes no locks of its own.
public struct AuthPolicy: Sendable {
    /// The realm of every challenge.
    public static let realm = "portcullis"

    /// Everything a policy holds, behind one reference: an evaluation copies the policy into its
    /// state, and one retain is cheaper than one per array (retain/release were a quarter of
    /// `Auth.jwt.cacheHit` in perf).
    private final class Storage: Sendable {
        let entries: [AuthEntry]
        /// `portcullis_auth_duration_seconds` per entry (same order as `entries`), or `nil` without
        /// metrics: an entry is timed only when it has one, and no lookup by method happens per request.
        let durations: [DurationRecorder?]
        let challenges: [String]
        let challengesAfterToken: [String]
        let usesClientCertificate: Bool

        init(entries: [AuthEntry], durations: [DurationRecorder?], challenges: [String], challengesAfterToken: [String]) {
            self.entries = entries
            self.durations = durations
            self.challenges = challenges
            self.challengesAfterToken = challengesAfterToken
            self.usesClientCertificate = entries.contains { $0.authenticator.scheme == .tlsClientCertificate }
        }
    }

    private let storage: Storage

    /// The entries in configuration order; empty when the route is public.
    public var entries: [AuthEntry] { self.storage.entries }

    /// - Parameters:
    ///   - entries: the entries in configuration order; empty makes the route public.
    ///   - metrics: where `portcullis_auth_duration_seconds` is recorded, if anywhere.
    public init(entries: [AuthEntry], metrics: PortcullisMetrics? = nil) {
        var recorders: [AuthMethod: DurationRecorder] = [:]
        if let metrics {
            for entry in entries where recorders[entry.authenticator.method] == nil {
                recorders[entry.authenticator.method] = metrics.authDuration(auth: entry.authenticator.method.rawValue)
            }
        }
        var schemes: [String] = []
        for entry in entries {
            if let scheme = entry.authenticator.scheme.challengeScheme, !schemes.contains(scheme) {
                schemes.append(scheme)
            }
        }
        self.storage = Storage(
            entries: entries,
            durations: entries.map { recorders[$0.authenticator.method] },
            challenges: schemes.map { "\($0) realm=\"\(Self.realm)\"" },
            challengesAfterToken: schemes.map { scheme in
                scheme == "Bearer" ? "Bearer realm=\"\(Self.realm)\", error=\"invalid_token\"" : "\(scheme) realm=\"\(Self.realm)\""
            }
        )
    }

    /// `true` when the route needs no authentication.
    public var isPublic: Bool { self.storage.entries.isEmpty }

    /// `true` when an entry looks at the TLS client certificate, so callers fetch it only then.
    public var usesClientCertificate: Bool { self.storage.usesClientCertificate }

    /// Decides about one request without waiting where every entry asked can answer at once
    /// (cache hits, refusals, mTLS); otherwise returns the evaluation to resume.
    ///
    /// This is the request path's entry point: on an event loop a cache hit creates no task,
    /// future or promise. Both this and ``evaluate(_:)`` walk the same ``PolicyRun``, so the two
    /// can never decide differently.
    public func decide(_ request: AuthRequest) -> PolicyEvaluation {
        guard !self.storage.entries.isEmpty else {
            return .decided(PolicyDecision(outcome: .allowed))
        }
        var run = PolicyRun(policy: self, request: request)
        switch run.advance() {
        case .decided(let decision): return .decided(decision)
        case .pending: return .pending(PendingPolicyDecision(run: run))
        }
    }

    /// Decides about one request, waiting for authenticators where needed.
    public func evaluate(_ request: AuthRequest) async -> PolicyDecision {
        switch self.decide(request) {
        case .decided(let decision): return decision
        case .pending(let pending): return await pending.resume()
        }
    }

    /// When entry `index` is timed, the instant its authentication starts.
    func durationStart(ofEntry index: Int) -> ContinuousClock.Instant? {
        self.storage.durations[index] == nil ? nil : ContinuousClock.now
    }

    /// Records entry `index`'s authentication time, when it is timed.
    func recordDuration(ofEntry index: Int, since started: ContinuousClock.Instant?) {
        guard let started, let recorder = self.storage.durations[index] else { return }
        recorder.record(ContinuousClock.now - started)
    }

    /// The `WWW-Authenticate` values of this policy's `401`: one per scheme it accepts, with
    /// `error="invalid_token"` for Bearer when a token was presented.
    public func challenges(afterToken: Bool) -> [String] {
        afterToken ? self.storage.challengesAfterToken : self.storage.challenges
    }

    static func presents(_ credential: PresentedCredential, for scheme: CredentialScheme) -> Bool {
        switch (credential, scheme) {
        case (.basic, .basic), (.bearer, .bearer), (_, .tlsClientCertificate): true
        default: false
        }
    }
}
