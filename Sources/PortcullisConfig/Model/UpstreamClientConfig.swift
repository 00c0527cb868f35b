/// `[service.upstreamClient]`: how the gateway calls a service's upstream.
public struct UpstreamClientConfig: Sendable, Equatable {
    /// The whole upstream exchange must finish within this many seconds, else `504`.
    public var timeoutSeconds: Double
    /// TLS settings for an `https` upstream; `nil` verifies it against the system roots.
    public var secureSocket: ClientSecureSocketConfig?

    public init(timeoutSeconds: Double = 30, secureSocket: ClientSecureSocketConfig? = nil) {
        self.timeoutSeconds = timeoutSeconds
        self.secureSocket = secureSocket
    }
}
