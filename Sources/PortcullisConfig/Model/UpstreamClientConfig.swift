/// `[service.upstreamClient]`: how the gateway calls a service's upstream.
public struct UpstreamClientConfig: Sendable, Equatable {
    /// The whole upstream exchange must finish within this many seconds, else `504`.
    public var timeoutSeconds: Double
    /// How long connecting to the upstream (TLS handshake included) may take, else `502`.
    public var connectTimeoutSeconds: Double = 5
    /// TLS settings for an `https` upstream; `nil` verifies it against the system roots.
    public var secureSocket: ClientSecureSocketConfig?
    /// `auth`: the credentials added to every upstream request, replacing the inbound
    /// `Authorization` header; `nil` adds none.
    public var auth: ClientAuthConfig?

    public init(timeoutSeconds: Double = 30, secureSocket: ClientSecureSocketConfig? = nil, auth: ClientAuthConfig? = nil) {
        self.timeoutSeconds = timeoutSeconds
        self.secureSocket = secureSocket
        self.auth = auth
    }
}
