/// `upstreamClient.auth`: how the gateway (or any client using the library) authenticates its
/// outgoing calls. One of Ballerina's client-auth records, told apart by its fields.
///
/// Its description never shows a secret.
public enum ClientAuthConfig: Sendable, Equatable, CustomStringConvertible {
    /// `CredentialsConfig { username, password }`: HTTP Basic.
    case basic(username: String, password: String)
    /// `BearerTokenConfig { token }`: a fixed bearer token.
    case bearer(token: String)
    /// `JwtIssuerConfig`: a JWT the gateway signs itself.
    case selfSignedJWT(JWTIssuerConfig)
    /// `OAuth2ClientCredentialsGrantConfig`, `OAuth2PasswordGrantConfig` or
    /// `OAuth2RefreshTokenGrantConfig`: a bearer token from an authorization server.
    case oauth2(OAuth2GrantConfig)

    public var description: String {
        switch self {
        case .basic(let username, _): "Basic credentials of \(username)"
        case .bearer: "a bearer token"
        case .selfSignedJWT(let issuer): "a self-signed JWT (\(issuer.signature))"
        case .oauth2(let grant): "OAuth2 \(grant.grant) grant at \(grant.endpoint.url)"
        }
    }
}
