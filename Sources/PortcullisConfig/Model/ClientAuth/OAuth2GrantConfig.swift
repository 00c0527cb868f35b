/// Ballerina's OAuth2 client grant configs: how a bearer token for the upstream is obtained from an
/// authorization server's token endpoint (RFC 6749), and refreshed.
public struct OAuth2GrantConfig: Sendable, Equatable {
    /// Which grant obtains the first token.
    public enum Grant: Sendable, Equatable, CustomStringConvertible {
        /// `grant_type=client_credentials` (RFC 6749 §4.4); again at every expiry.
        case clientCredentials
        /// `grant_type=password` (§4.3); at expiry the refresh token is used, and the password
        /// grant again when that fails.
        case password(username: String, password: String)
        /// `grant_type=refresh_token` (§6) with this token, then with each one the server returns.
        case refreshToken(String)

        public var description: String {
            switch self {
            case .clientCredentials: "client credentials"
            case .password(let username, _): "password (\(username))"
            case .refreshToken: "refresh token"
            }
        }
    }

    public var grant: Grant
    /// `tokenUrl` (or `refreshUrl` for the refresh-token grant) and how it is called.
    public var endpoint: OAuth2TokenEndpointConfig
    /// The password grant's `refreshConfig`: where and how refresh tokens are redeemed; `nil`
    /// without one. `refreshConfig = "INFER_REFRESH_CONFIG"` copies the token endpoint's settings
    /// but not its scopes, as Ballerina does.
    public var refresh: OAuth2TokenEndpointConfig?
    /// `defaultTokenExpTime`: the lifetime of a token whose answer has no `expires_in`.
    public var defaultTokenExpTimeSeconds: Double
    /// `clockSkew`: a token is renewed this many seconds before it expires.
    public var clockSkewSeconds: Double

    public static let defaultTokenExpTimeSeconds: Double = 3600

    public init(
        grant: Grant,
        endpoint: OAuth2TokenEndpointConfig,
        refresh: OAuth2TokenEndpointConfig? = nil,
        defaultTokenExpTimeSeconds: Double = Self.defaultTokenExpTimeSeconds,
        clockSkewSeconds: Double = 0
    ) {
        self.grant = grant
        self.endpoint = endpoint
        self.refresh = refresh
        self.defaultTokenExpTimeSeconds = defaultTokenExpTimeSeconds
        self.clockSkewSeconds = clockSkewSeconds
    }
}

/// A token endpoint and how the client authenticates to it.
public struct OAuth2TokenEndpointConfig: Sendable, Equatable {
    /// Where the client's credentials go (`credentialBearer`).
    public enum CredentialBearer: String, Sendable, Equatable {
        /// `AUTH_HEADER_BEARER`: HTTP Basic, each part form-encoded first (RFC 6749 §2.3.1). The default.
        case authorizationHeader = "AUTH_HEADER_BEARER"
        /// `POST_BODY_BEARER`: `client_id` and `client_secret` in the form body.
        case postBody = "POST_BODY_BEARER"
    }

    /// `tokenUrl` / `refreshUrl`.
    public var url: String
    /// `clientId` / `clientSecret`: sent only when both are set.
    public var clientID: String?
    public var clientSecret: String?
    /// `scopes`: sent space-joined as `scope`.
    public var scopes: [String]
    /// `optionalParams`: more form parameters, in name order.
    public var optionalParams: [String: String]
    public var credentialBearer: CredentialBearer
    /// `clientConfig`: TLS, timeouts and headers of the token endpoint call.
    public var client: IdentityProviderClientConfig

    public init(
        url: String,
        clientID: String? = nil,
        clientSecret: String? = nil,
        scopes: [String] = [],
        optionalParams: [String: String] = [:],
        credentialBearer: CredentialBearer = .authorizationHeader,
        client: IdentityProviderClientConfig = .init()
    ) {
        self.url = url
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scopes = scopes
        self.optionalParams = optionalParams
        self.credentialBearer = credentialBearer
        self.client = client
    }
}
