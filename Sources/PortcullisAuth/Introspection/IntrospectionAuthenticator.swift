#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import PortcullisConfig
import PortcullisMetrics

/// An `oauth2IntrospectionConfig` entry as an ``Authenticator`` for bearer tokens: the
/// authorization server is asked whether a token is active (RFC 7662), and its answer is cached.
///
/// - A token is looked up by its SHA-256 digest (``TokenDigest``) in two bounded caches: active
///   answers until the token's `exp` (the default expiry when the answer has none, never longer
///   than `cacheConfig.defaultMaxAge`), and inactive ones for `inactiveTokenCacheTimeInSeconds`, so
///   a flood of one bad token costs one call per period and cannot evict good entries. A hit takes
///   one shard lock: no actor hop, no allocation beyond the principal.
/// - Concurrent misses for one token share one call (``SingleFlight``); the call runs in its own
///   task, so a caller that goes away does not fail the others waiting for it.
/// - An endpoint that cannot be reached, times out, answers other than `200` or is overloaded gives
///   `unavailable` (503 unless another entry succeeds), and that is never cached.
public final class IntrospectionAuthenticator: Authenticator {
    public var method: AuthMethod { .introspection }
    public var scheme: CredentialScheme { .bearer }

    /// The endpoint this entry asks.
    public let endpoint: any IntrospectionClient
    private let active: BoundedCache<TokenDigest, CachedPrincipal>?
    private let inactive: BoundedCache<TokenDigest, AuthFailure>?
    private let scopeSets = ScopeSetInterner()
    private let inFlight = SingleFlight<TokenDigest, AuthenticationResult>()
    private let defaultLifetime: Double
    private let maxAge: Double
    private let inactiveLifetime: Double
    private let clock: @Sendable () -> Double
    private let claims: PrincipalClaims

    /// - Parameters:
    ///   - config: the cache settings and default expiry (the endpoint is given by `endpoint`).
    ///   - endpoint: who answers.
    ///   - metrics: where the `introspection` and `introspection_inactive` caches report.
    ///   - claims: whether principals carry the answer's other members.
    ///   - clock: seconds since the epoch; tests move it.
    public init(
        config: IntrospectionConfig,
        endpoint: any IntrospectionClient,
        metrics: PortcullisMetrics? = nil,
        claims: PrincipalClaims = .kept,
        clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        self.endpoint = endpoint
        self.claims = claims
        let capacity = config.cache.capacity
        self.active =
            capacity == 0 ? nil : BoundedCache(capacity: capacity, metrics: metrics?.cache("introspection") ?? .unregistered(), footprint: { _, cached in
                // Scope lists are shared (ScopeSetInterner): counted once, not per entry.
                HeapFootprint.string(cached.principal.subject) + HeapFootprint.claims(cached.principal.claims)
            })
        self.inactive =
            capacity == 0 || config.inactiveCacheSeconds == 0
            ? nil
            : BoundedCache(capacity: capacity, metrics: metrics?.cache("introspection_inactive") ?? .unregistered(), footprint: { _, failure in
                HeapFootprint.string(failure.reason)
            })
        self.defaultLifetime = config.defaultTokenExpTimeSeconds
        self.maxAge = config.cache.maxAgeSeconds
        self.inactiveLifetime = config.inactiveCacheSeconds
        self.clock = clock
    }

    /// A cached answer, active or not, decides at once; a call to the endpoint does not.
    public func authenticateImmediately(_ request: AuthRequest) -> AuthenticationResult? {
        switch self.lookup(request, probingCache: true) {
        case .decided(let result): result
        case .introspect: nil
        }
    }

    public func resolve(_ request: AuthRequest) async -> AuthenticationResult {
        switch self.lookup(request, probingCache: false) {
        case .decided(let result):
            return result
        case .introspect(let slice, let key):
            let token = String(slice)
            return await self.inFlight.run(key) {
                await Task { await self.introspect(token, key: key) }.value
            }
        }
    }

    private enum Lookup {
        case decided(AuthenticationResult)
        case introspect(Substring, TokenDigest)
    }

    private func lookup(_ request: AuthRequest, probingCache: Bool) -> Lookup {
        guard case .bearer(let token) = request.credential else {
            return .decided(.unauthenticated(AuthFailure(.missingCredentials, "no bearer token")))
        }
        let key = TokenDigest(token)
        guard probingCache else { return .introspect(token, key) }
        if let principal = self.active?.principal(for: key, now: self.clock()) {
            return .decided(.authenticated(principal))
        }
        if let inactive, let failure = inactive.value(for: key) {
            return .decided(.unauthenticated(failure))
        }
        return .introspect(token, key)
    }

    private func introspect(_ token: String, key: TokenDigest) async -> AuthenticationResult {
        let answer: IntrospectionAnswer
        do {
            answer = try await self.endpoint.introspect(token)
        } catch {
            if case .invalidAnswer(let reason) = error {
                return self.refuse(key, AuthFailure(.malformedCredentials, "introspection: \(reason)"))
            }
            let code: AuthFailure.Code = error == .overloaded ? .overloaded : .providerUnavailable
            return .unavailable(AuthFailure(code, "introspection endpoint \(self.endpoint.url): \(error)"))
        }
        let now = self.clock()
        guard answer.active else {
            return self.refuse(key, Self.notActive)
        }
        let expiresAt = answer.expiresAt ?? (now + self.defaultLifetime)
        guard expiresAt > now else {
            return self.refuse(key, AuthFailure(Self.inactiveToken, "the token's exp has passed"))
        }
        let principal = Principal(
            subject: answer.subject,
            scopes: answer.scopes,
            method: .introspection,
            claims: self.claims == .kept ? answer.claims : [:]
        )
        self.remember(principal, for: key, expiresAt: expiresAt, now: now)
        return .authenticated(principal)
    }

    /// Caches an active answer until `expiresAt`, never longer than `defaultMaxAge` or a day.
    private func remember(_ principal: Principal, for key: TokenDigest, expiresAt: Double, now: Double) {
        guard let active = self.active else { return }
        var principal = principal
        principal.scopes = self.scopeSets.intern(principal.scopes)
        active.insert(principal, for: key, lifetime: min(expiresAt - now, self.maxAge, Self.longestCacheLifetime), now: now)
    }

    /// Remembers, briefly, that `key`'s token does not authenticate.
    private func refuse(_ key: TokenDigest, _ failure: AuthFailure) -> AuthenticationResult {
        if let inactive {
            let now = NIODeadline.now()
            inactive.insert(failure, for: key, expiresAt: now + .nanoseconds(Int64(self.inactiveLifetime * 1e9)), now: now)
        }
        return .unauthenticated(failure)
    }

    /// The longest an answer is kept whatever its `exp` says: a day.
    static let longestCacheLifetime: Double = 86_400

    /// Caches answers as the authorization server would have given them, so benchmarks measure
    /// the hit paths without a server: `principal` for an active token, `nil` for an inactive one.
    @_spi(Benchmarks) public func prime(_ token: String, principal: Principal?, expiresAt: Double) {
        if let principal {
            self.remember(principal, for: TokenDigest(token), expiresAt: expiresAt, now: self.clock())
        } else {
            _ = self.refuse(TokenDigest(token), Self.notActive)
        }
    }

    /// Failure code of a token the authorization server does not vouch for.
    public static let inactiveToken = AuthFailure.Code("inactive_token")

    private static let notActive = AuthFailure(inactiveToken, "the authorization server says the token is not active")

    /// Active answers currently cached.
    public var cachedTokenCount: Int { self.active?.entryCount ?? 0 }
}
