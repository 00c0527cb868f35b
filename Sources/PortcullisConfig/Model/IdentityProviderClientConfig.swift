/// `clientConfig` of an identity-provider call (a JWKS or introspection endpoint): TLS, timeouts,
/// headers and, for introspection, the gateway's own credentials.
public struct IdentityProviderClientConfig: Sendable, Equatable {
    /// TLS settings for an `https` endpoint; `nil` verifies it against the system roots.
    public var secureSocket: ClientSecureSocketConfig?
    /// `connectTimeout` (seconds) or `connectionTimeoutInMillis`.
    public var connectTimeoutSeconds: Double
    /// `reqTimeout` / `timeout` (seconds): the whole exchange.
    public var requestTimeoutSeconds: Double
    /// `customHeaders`: sent with every call.
    public var customHeaders: [String: String]
    /// `auth`: the gateway's credentials for the call.
    public var auth: IdentityProviderClientAuth?

    public init(
        secureSocket: ClientSecureSocketConfig? = nil,
        connectTimeoutSeconds: Double = 5,
        requestTimeoutSeconds: Double = 10,
        customHeaders: [String: String] = [:],
        auth: IdentityProviderClientAuth? = nil
    ) {
        self.secureSocket = secureSocket
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.customHeaders = customHeaders
        self.auth = auth
    }
}
