/// `clientConfig.auth` of an identity-provider call: how the gateway authenticates itself to the
/// identity provider (an introspection endpoint asks for client credentials).
///
/// Its description never shows the secret.
public enum IdentityProviderClientAuth: Sendable, Equatable, CustomStringConvertible {
    /// `{ username, password }`: HTTP Basic, as RFC 7662 §2.1 shows for client credentials (each
    /// form-encoded first, as RFC 6749 §2.3.1 asks of OAuth2 client credentials).
    case basic(username: String, password: String)
    /// `{ token }`: a bearer token the identity provider accepts for the call.
    case bearer(token: String)
    /// An OAuth2 grant config (Ballerina's choice here): a bearer token the gateway obtains from a
    /// token endpoint and renews by itself.
    indirect case oauth2(OAuth2GrantConfig)

    public var description: String {
        switch self {
        case .basic(let username, _): "Basic credentials of \(username)"
        case .bearer: "a bearer token"
        case .oauth2(let grant): "OAuth2 \(grant.grant) grant at \(grant.endpoint.url)"
        }
    }
}
