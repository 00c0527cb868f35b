/// The `[listener]` table: where the gateway accepts requests.
public struct ListenerConfig: Sendable, Equatable {
    /// The address to bind; default `127.0.0.1`.
    public var host: String
    /// The port to bind; `0` asks the system for a free one (the bound port is logged).
    public var port: Int
    /// How long a graceful shutdown waits for in-flight requests, in seconds.
    public var shutdownTimeoutSeconds: Double
    /// HTTPS settings; `nil` serves plain HTTP.
    public var secureSocket: ListenerSecureSocketConfig?

    public init(
        host: String = "127.0.0.1",
        port: Int = 9090,
        shutdownTimeoutSeconds: Double = 10,
        secureSocket: ListenerSecureSocketConfig? = nil
    ) {
        self.host = host
        self.port = port
        self.shutdownTimeoutSeconds = shutdownTimeoutSeconds
        self.secureSocket = secureSocket
    }
}
