/// `jwtValidatorConfig`: how a JWT entry decides whether a bearer token is valid (Ballerina's
/// `JwtValidatorConfig`, with `scopeKey` from its HTTP module).
///
/// Every configured check must pass; the signature is always verified with the configured key
/// (RFC 8725: never with an algorithm or key the token names on its own).
public struct JWTValidatorConfig: Sendable, Equatable {
    /// `issuer`: the `iss` the token must carry.
    public var issuer: String?
    /// `username`: the `sub` the token must carry.
    public var username: String?
    /// `audience`: valid when the token's `aud` shares one value with these.
    public var audience: [String]?
    /// `jwtId`: the `jti` the token must carry.
    public var jwtId: String?
    /// `keyId`: the `kid` the token's header must carry.
    public var keyId: String?
    /// `customClaims`: claims the token must carry with exactly these values.
    public var customClaims: [String: ClaimValue]
    /// `clockSkewInSeconds` or `clockSkew`: tolerance for `exp` and `nbf`.
    public var clockSkewSeconds: Int
    /// `scopeKey`: the claim holding scopes, a space-separated string or an array.
    public var scopeKey: String
    /// Where the verification key comes from.
    public var signature: JWTSignatureConfig
    /// The verified-token cache.
    public var cache: CacheSettingsConfig

    public init(
        signature: JWTSignatureConfig,
        issuer: String? = nil,
        username: String? = nil,
        audience: [String]? = nil,
        jwtId: String? = nil,
        keyId: String? = nil,
        customClaims: [String: ClaimValue] = [:],
        clockSkewSeconds: Int = 0,
        scopeKey: String = "scope",
        cache: CacheSettingsConfig = .init()
    ) {
        self.signature = signature
        self.issuer = issuer
        self.username = username
        self.audience = audience
        self.jwtId = jwtId
        self.keyId = keyId
        self.customClaims = customClaims
        self.clockSkewSeconds = clockSkewSeconds
        self.scopeKey = scopeKey
        self.cache = cache
    }
}
