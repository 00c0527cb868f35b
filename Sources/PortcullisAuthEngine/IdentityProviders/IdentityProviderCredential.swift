import PortcullisAuth
import PortcullisClientAuth
import PortcullisConfig

/// The gateway's own credentials toward an identity provider (`clientConfig.auth` of a JWKS or
/// introspection endpoint), as an ``OutboundCredential``.
enum IdentityProviderCredential {
    /// Basic or bearer credentials from the config; `nil` for none, or for a grant (whose
    /// `OAuth2TokenManager`, with a token-endpoint client of its own, `AuthEngine.load` builds).
    ///
    /// - Parameter formEncodedBasic: form-encode the Basic parts first (OAuth2 client credentials,
    ///   RFC 6749 §2.3.1) rather than plain RFC 7617.
    static func fixed(_ auth: IdentityProviderClientAuth?, formEncodedBasic: Bool) -> (any OutboundCredential)? {
        switch auth {
        case .basic(let username, let password)?:
            StaticCredential.basic(username: username, password: password, formEncoded: formEncodedBasic)
        case .bearer(let token)?:
            StaticCredential.bearer(token)
        case .oauth2?, nil:
            nil
        }
    }
}
