/// `oauth2IntrospectionConfig`: opaque bearer tokens checked by asking an OAuth2 authorization
/// server's introspection endpoint (RFC 7662).
public struct IntrospectionConfig: Sendable, Equatable {
    /// The introspection endpoint (`http` or `https`).
    public var url: String
    /// `tokenTypeHint`: sent as `token_type_hint` when set (`access_token`, say).
    public var tokenTypeHint: String?
    /// `scopeKey`: the answer's member holding the scopes, a space-separated string or an array.
    public var scopeKey: String
    /// `optionalParams`: further form parameters sent with every call (RFC 8707 `resource`, say).
    public var optionalParams: [String: String]
    /// `defaultTokenExpTimeInSeconds` / `defaultTokenExpTime`: how long an active answer without `exp`
    /// is trusted.
    public var defaultTokenExpTimeSeconds: Double
    /// `cacheConfig`: active answers are kept until the token's `exp` (or the default expiry), never
    /// longer than `defaultMaxAge` when one is given; `capacity = 0` asks the server every time.
    public var cache: CacheSettingsConfig
    /// `inactiveTokenCacheTimeInSeconds`: how long an inactive answer is kept, so a flood of one bad
    /// token costs one call per period (`0`: not kept). Not a Ballerina field.
    public var inactiveCacheSeconds: Double
    /// How the endpoint is called, and how the gateway authenticates to it.
    public var client: IdentityProviderClientConfig

    /// Ballerina's default for `defaultTokenExpTime`.
    public static let defaultTokenExpTimeSeconds: Double = 3600
    public static let defaultInactiveCacheSeconds: Double = 5
    /// Active answers live until their `exp` unless `cacheConfig.defaultMaxAge` says less.
    public static let defaultCache = CacheSettingsConfig(capacity: CacheSettingsConfig.defaultCapacity, maxAgeSeconds: .infinity)

    public init(
        url: String,
        tokenTypeHint: String? = nil,
        scopeKey: String = "scope",
        optionalParams: [String: String] = [:],
        defaultTokenExpTimeSeconds: Double = Self.defaultTokenExpTimeSeconds,
        cache: CacheSettingsConfig = Self.defaultCache,
        inactiveCacheSeconds: Double = Self.defaultInactiveCacheSeconds,
        client: IdentityProviderClientConfig = .init()
    ) {
        self.url = url
        self.tokenTypeHint = tokenTypeHint
        self.scopeKey = scopeKey
        self.optionalParams = optionalParams
        self.defaultTokenExpTimeSeconds = defaultTokenExpTimeSeconds
        self.cache = cache
        self.inactiveCacheSeconds = inactiveCacheSeconds
        self.client = client
    }
}
