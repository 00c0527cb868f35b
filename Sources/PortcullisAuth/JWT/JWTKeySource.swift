/// Where a JWT entry's keys come from: fixed at start (a certificate, a trust store, a secret) or
/// fetched and refreshed (a JWKS endpoint).
///
/// - Important: ``currentKeys`` is called on the request path: it must not hop to an actor.
public protocol JWTKeySource: Sendable {
    /// The latest published snapshot.
    var currentKeys: JWTKeySet { get }
    /// Called when a token names a key the snapshot lacks. A refreshing source may fetch again
    /// (single-flight, rate-limited) and answer with the new snapshot, or say it cannot decide.
    func keysAfterMiss(keyID: String?) async -> JWTKeyLookup
}

/// What a source can say after a key miss.
public enum JWTKeyLookup: Sendable {
    /// The keys to decide with (which may still lack the key: then the token is refused).
    case keys(JWTKeySet)
    /// The source could not be reached and holds no key for this token: `503`, not `401`.
    case unavailable(String)
}

/// A key set fixed at start.
public struct StaticJWTKeySource: JWTKeySource {
    public let currentKeys: JWTKeySet

    public init(_ keys: JWTKeySet) {
        self.currentKeys = keys
    }

    public func keysAfterMiss(keyID: String?) async -> JWTKeyLookup {
        .keys(self.currentKeys)
    }
}
