/// `clientConfig.auth` of an identity-provider call: how the gateway authenticates itself to the
/// identity provider (an introspection endpoint asks for client credentials).
///
/// Its description never shows the secret.
public enum IdentityProviderClientAuth: Sendable, Hashable, CustomStringConvertible {
    /// `{ username, password }`: HTTP Basic, as RFC 7662 §2.1 shows for client credentials (each
    /// form-encoded first, as RFC 6749 §2.3.1 asks of OAuth2 client credentials).
    case basic(username: String, password: String)
    /// `{ token }`: a bearer token the identity provider accepts for the call.
    case bearer(token: String)

    public var description: String {
        switch self {
        case .basic(let username, _): "Basic credentials of \(username)"
        case .bearer: "a bearer token"
        }
    }
}
