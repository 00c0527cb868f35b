/// Something that can turn presented credentials into a ``Principal``.
///
/// Each auth method (file user store, LDAP, JWT, introspection, mTLS) is one authenticator.
/// The policy calls only the authenticators whose ``scheme`` matches what the request presents,
/// in configuration order.
///
/// - Important: Implementations must not block the calling thread: run blocking or CPU-heavy work
///   (bcrypt, libldap) on a dedicated pool, and keep cache hits free of actor hops.
public protocol Authenticator: Sendable {
    /// The method, used in metrics and in ``Principal/method``.
    var method: AuthMethod { get }
    /// The credentials this authenticator looks at.
    var scheme: CredentialScheme { get }

    /// Decides about one request's credentials when that needs no waiting: a cache hit, a refusal
    /// found by parsing, a certificate already verified. `nil` means only ``resolve(_:)`` can
    /// decide (a bcrypt run, a directory round, a signature, an introspection call).
    ///
    /// Called on event loops: it must take no lock shared beyond a cache shard, start no task
    /// and never block.
    func authenticateImmediately(_ request: AuthRequest) -> AuthenticationResult?

    /// The waiting part of a decision, called after ``authenticateImmediately(_:)`` returned `nil`
    /// for the same request (so caches it already probed are not counted twice).
    func resolve(_ request: AuthRequest) async -> AuthenticationResult
}

extension Authenticator {
    /// Decides about one request's credentials, waiting where needed.
    public func authenticate(_ request: AuthRequest) async -> AuthenticationResult {
        if let result = self.authenticateImmediately(request) {
            return result
        }
        return await self.resolve(request)
    }
}
