/// `jwksConfig = { url, cacheConfig, clientConfig }`: a JSON Web Key Set endpoint (RFC 7517).
public struct JWKSConfig: Sendable, Equatable {
    /// Where the key set is fetched (`http` or `https`).
    public var url: String
    /// `cacheConfig.capacity`: the most keys kept from one answer.
    public var capacity: Int
    /// `cacheConfig.defaultMaxAge`: seconds between scheduled refreshes.
    public var refreshIntervalSeconds: Double
    /// How the endpoint is called.
    public var client: IdentityProviderClientConfig

    /// Ten minutes, Envoy's default `cache_duration` for remote JWKS.
    public static let defaultRefreshIntervalSeconds: Double = 600
    public static let defaultCapacity = 64

    public init(
        url: String,
        capacity: Int = Self.defaultCapacity,
        refreshIntervalSeconds: Double = Self.defaultRefreshIntervalSeconds,
        client: IdentityProviderClientConfig = .init()
    ) {
        self.url = url
        self.capacity = capacity
        self.refreshIntervalSeconds = refreshIntervalSeconds
        self.client = client
    }
}
