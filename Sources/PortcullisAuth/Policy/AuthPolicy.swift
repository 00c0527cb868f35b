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

    public let entries: [AuthEntry]
    private let durations: [AuthMethod: DurationRecorder]
    private let challenges: [String]
    private let challengesAfterToken: [String]

    /// - Parameters:
    ///   - entries: the entries in configuration order; empty makes the route public.
    ///   - metrics: where `portcullis_auth_duration_seconds` is recorded, if anywhere.
    public init(entries: [AuthEntry], metrics: PortcullisMetrics? = nil) {
        self.entries = entries
        self.usesClientCertificate = entries.contains { $0.authenticator.scheme == .tlsClientCertificate }
        var durations: [AuthMethod: DurationRecorder] = [:]
        if let metrics {
            for entry in entries where durations[entry.authenticator.method] == nil {
                durations[entry.authenticator.method] = metrics.authDuration(auth: entry.authenticator.method.rawValue)
            }
        }
        self.durations = durations
        var schemes: [String] = []
        for entry in entries {
            if let scheme = entry.authenticator.scheme.challengeScheme, !schemes.contains(scheme) {
                schemes.append(scheme)
            }
        }
        self.challenges = schemes.map { "\($0) realm=\"\(Self.realm)\"" }
        self.challengesAfterToken = schemes.map { scheme in
            scheme == "Bearer" ? "Bearer realm=\"\(Self.realm)\", error=\"invalid_token\"" : "\(scheme) realm=\"\(Self.realm)\""
        }
    }

    /// `true` when the route needs no authentication.
    public var isPublic: Bool { self.entries.isEmpty }

    /// `true` when an entry looks at the TLS client certificate, so callers fetch it only then.
    public let usesClientCertificate: Bool

    /// Decides about one request.
    public func evaluate(_ request: AuthRequest) async -> PolicyDecision {
        guard let first = self.entries.first else {
            return PolicyDecision(outcome: .allowed)
        }
        var failures: [AuthFailure] = []
        var forbidden: (principal: Principal, method: AuthMethod, scopes: [String], scheme: CredentialScheme)?
        var unavailable: AuthMethod?
        var lastTried: AuthMethod?
        if case .malformed(_, let failure) = request.credential {
            failures.append(failure)
        }
        for entry in self.entries where Self.presents(request.credential, for: entry.authenticator.scheme) {
            let authenticator = entry.authenticator
            let started = ContinuousClock.now
            let result = await authenticator.authenticate(request)
            self.durations[authenticator.method]?.record(ContinuousClock.now - started)
            lastTried = authenticator.method
            switch result {
            case .authenticated(let principal):
                guard let scopes = entry.scopes, !principal.holdsAny(of: scopes) else {
                    return PolicyDecision(outcome: .allowed, principal: principal, method: authenticator.method)
                }
                if forbidden == nil {
                    forbidden = (principal, authenticator.method, scopes, authenticator.scheme)
                }
            case .unauthenticated(let failure):
                failures.append(failure)
            case .unavailable(let failure):
                failures.append(failure)
                if unavailable == nil { unavailable = authenticator.method }
            }
        }
        if let method = unavailable {
            return PolicyDecision(outcome: .unavailable, method: method, failures: failures)
        }
        if let forbidden {
            let challenges =
                forbidden.scheme == .bearer
                ? ["Bearer realm=\"\(Self.realm)\", error=\"insufficient_scope\", scope=\"\(forbidden.scopes.joined(separator: " "))\""]
                : []
            return PolicyDecision(
                outcome: .forbidden,
                principal: forbidden.principal,
                method: forbidden.method,
                challenges: challenges,
                failures: failures
            )
        }
        if lastTried == nil, case .none = request.credential {
            failures.append(AuthFailure(.missingCredentials, "no credentials presented"))
        }
        return PolicyDecision(
            outcome: .unauthenticated,
            method: lastTried ?? first.authenticator.method,
            challenges: request.credential.presentedBearerToken ? self.challengesAfterToken : self.challenges,
            failures: failures
        )
    }

    private static func presents(_ credential: PresentedCredential, for scheme: CredentialScheme) -> Bool {
        switch (credential, scheme) {
        case (.basic, .basic), (.bearer, .bearer), (_, .tlsClientCertificate): true
        default: false
        }
    }
}
