/// The `[metrics]` table: the Prometheus endpoint, served on its own listener.
public struct MetricsConfig: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// The path that answers with the exposition, default `/metrics`.
    public var path: String

    public init(host: String = "127.0.0.1", port: Int = 9797, path: String = "/metrics") {
        self.host = host
        self.port = port
        self.path = path
    }
}
