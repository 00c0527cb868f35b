#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import PortcullisConfig
import PortcullisMetrics

/// A `jwtValidatorConfig` entry as an ``Authenticator`` for bearer tokens.
///
/// A request's token is looked up in a bounded, sharded cache first: a hit takes one shard lock,
/// no actor hop, and is never served at or past the token's `exp`. A miss parses the token,
/// refuses any `alg` the configured key does not verify (RFC 8725 §3.1), picks the key by `kid`,
/// verifies the signature, then the claims; concurrent misses for one token share one
/// verification. Only valid tokens are cached; a key source that cannot be reached answers
/// `unavailable` (503) for tokens no known key can decide, and that is never cached.
public final class JWTAuthenticator: Authenticator {
    public var method: AuthMethod { .jwt }
    public var scheme: CredentialScheme { .bearer }

    private let rules: JWTClaimsRules
    private let keys: any JWTKeySource
    private let cache: BoundedCache<TokenDigest, CachedPrincipal>?
    private let inFlight = SingleFlight<TokenDigest, AuthenticationResult>()
    private let scopeSets = ScopeSetInterner()
    private let maxAge: Double
    private let clock: @Sendable () -> Double

    /// - Parameters:
    ///   - config: the claim checks and cache settings (its key source is given by `keys`).
    ///   - keys: where verification keys come from.
    ///   - metrics: where the `jwt` cache reports, if anywhere.
    ///   - claims: whether principals carry the token's other claims.
    ///   - clock: seconds since the epoch; tests move it.
    public init(
        config: JWTValidatorConfig,
        keys: any JWTKeySource,
        metrics: PortcullisMetrics? = nil,
        claims: PrincipalClaims = .kept,
        clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        self.rules = JWTClaimsRules(config, claims: claims)
        self.keys = keys
        self.cache =
            config.cache.capacity == 0
            ? nil
            : BoundedCache(capacity: config.cache.capacity, metrics: metrics?.cache("jwt") ?? .unregistered(), footprint: { _, cached in
                // Scope lists are shared (ScopeSetInterner): counted once, not per entry.
                HeapFootprint.string(cached.principal.subject) + HeapFootprint.claims(cached.principal.claims)
            })
        self.maxAge = config.cache.maxAgeSeconds.isFinite ? config.cache.maxAgeSeconds : CacheSettingsConfig.defaultMaxAgeSeconds
        self.clock = clock
    }

    /// A cached token, one refused by parsing (malformed, an unknown `alg`), and one whose key
    /// is at hand and cheap to check with (``JWTVerificationKey/verifiesImmediately(alg:)``)
    /// decide at once, on the caller's thread; a key still to fetch (JWKS) or an ES384 check
    /// does not.
    ///
    /// Checking a signature here instead of in a task spares a cache miss the hop to Swift's
    /// cooperative pool and back to the event loop, which cost more than an RS256 check itself;
    /// it is what nginx and Envoy do with their JWT checks. Concurrent misses for one token
    /// then each verify it (no single flight): a cheap check, done at most once per loop.
    public func authenticateImmediately(_ request: AuthRequest) -> AuthenticationResult? {
        // A hit returns from here, before the miss path's values (a parsed token, the `Lookup`
        // enum around it) are laid out: copying those was 3% of `Auth.jwt.cacheHit` in perf.
        guard case .bearer(let token) = request.credential else {
            return .unauthenticated(AuthFailure(.missingCredentials, "no bearer token"))
        }
        let digest: TokenDigest?
        if let cache = self.cache {
            let key = TokenDigest(token)
            if let principal = cache.principal(for: key, now: self.clock()) {
                return .authenticated(principal)
            }
            digest = key
        } else {
            // Without a cache the digest would key nothing: a SHA-256 of the whole token saved.
            digest = nil
        }
        switch self.parse(token) {
        case .decided(let result):
            return result
        case .verify(let parsed):
            guard let key = self.keys.currentKeys.key(for: parsed.header.keyID), key.verifiesImmediately(alg: parsed.header.algorithm) else {
                return nil
            }
            return self.check(parsed, with: key, cacheKey: digest)
        }
    }

    public func resolve(_ request: AuthRequest) async -> AuthenticationResult {
        guard case .bearer(let token) = request.credential else {
            return .unauthenticated(AuthFailure(.missingCredentials, "no bearer token"))
        }
        switch self.parse(token) {
        case .decided(let result):
            return result
        case .verify(let parsed):
            // Concurrent misses for one token share one verification, keyed by its digest.
            let digest = TokenDigest(token)
            return await self.inFlight.run(digest) {
                await self.verify(parsed, key: digest)
            }
        }
    }

    private enum Lookup {
        case decided(AuthenticationResult)
        case verify(CompactJWT)
    }

    /// Parses a token the cache did not hold (or was not asked about).
    private func parse(_ token: Substring) -> Lookup {
        do throws(JWTValidationError) {
            let parsed = try CompactJWT(token, payload: self.rules.selection)
            guard JWTAlgorithmName(rawValue: parsed.header.algorithm) != nil else {
                throw .algorithmNotAllowed(parsed.header.algorithm)
            }
            return .verify(parsed)
        } catch {
            return .decided(.unauthenticated(error.failure))
        }
    }

    private func verify(_ token: CompactJWT, key cacheKey: TokenDigest) async -> AuthenticationResult {
        let keyID = token.header.keyID
        var key = self.keys.currentKeys.key(for: keyID)
        if key == nil {
            switch await self.keys.keysAfterMiss(keyID: keyID) {
            case .keys(let keys): key = keys.key(for: keyID)
            case .unavailable(let reason): return .unavailable(AuthFailure(.providerUnavailable, reason))
            }
        }
        guard let key else {
            return .unauthenticated(JWTValidationError.unknownKey(keyID).failure)
        }
        return self.check(token, with: key, cacheKey: cacheKey)
    }

    /// Verifies the signature with `key`, then the claims; a valid token is cached under
    /// `cacheKey` (`nil` only when there is no cache).
    private func check(_ token: CompactJWT, with key: JWTVerificationKey, cacheKey: TokenDigest?) -> AuthenticationResult {
        let outcome: JWTClaimsRules.Outcome
        let now = self.clock()
        do throws(JWTValidationError) {
            try key.verify(alg: token.header.algorithm, signature: token.signature, signingInput: token.signingInput)
            outcome = try self.rules.check(token, now: now)
        } catch {
            return .unauthenticated(error.failure)
        }
        let lifetime = min(outcome.expiresAt.map { $0 - now } ?? .infinity, self.maxAge)
        var principal = outcome.principal
        if let cache = self.cache, let cacheKey {
            principal.scopes = self.scopeSets.intern(principal.scopes)
            cache.insert(principal, for: cacheKey, lifetime: lifetime, now: now)
        }
        return .authenticated(principal)
    }

    /// Verified tokens currently cached.
    public var cachedTokenCount: Int { self.cache?.entryCount ?? 0 }
}
