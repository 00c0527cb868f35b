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
    /// Decides about one request's credentials.
    func authenticate(_ request: AuthRequest) async -> AuthenticationResult
}
