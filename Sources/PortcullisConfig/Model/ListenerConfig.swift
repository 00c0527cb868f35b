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
    /// Event loop threads serving connections; `nil` means one per core.
    public var eventLoops: Int?
    /// A new connection that has not sent a whole request head this many seconds after
    /// connecting is closed (later requests on a keep-alive connection get `idleTimeoutSeconds`).
    public var requestHeaderTimeoutSeconds: Double = 30
    /// A keep-alive connection with no request in progress for this many seconds is closed.
    public var idleTimeoutSeconds: Double = 60

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
