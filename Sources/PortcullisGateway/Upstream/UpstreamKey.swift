import PortcullisConfig

/// What makes two services share upstream connections: the same origin and the same TLS settings.
struct UpstreamKey: Hashable, Sendable {
    var scheme: String
    var host: String
    var port: Int
    var secureSocket: ClientSecureSocketConfig?

    init(url: UpstreamURL, secureSocket: ClientSecureSocketConfig?) {
        self.scheme = url.scheme
        self.host = url.host
        self.port = url.port
        self.secureSocket = url.scheme == "https" ? secureSocket : nil
    }

    /// Every proxied request looks its pool up by key: hashing the host and port is enough to
    /// spread keys, and leaves the TLS settings (a deep structure) to equality.
    func hash(into hasher: inout Hasher) {
        hasher.combine(self.host)
        hasher.combine(self.port)
    }
}
