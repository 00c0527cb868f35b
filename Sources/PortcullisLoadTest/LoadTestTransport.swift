import NIOSSL

/// How a load test's connections reach the target: in clear, or over TLS (HTTP/1.1 through ALPN).
public struct LoadTestTransport: Sendable {
    /// The client TLS context, `nil` in clear.
    public var tls: NIOSSLContext?
    /// The name sent in SNI and checked against the certificate; `nil` for none (an address).
    public var serverHostname: String?

    /// Plain TCP.
    public static let cleartext = LoadTestTransport(tls: nil, serverHostname: nil)

    public init(tls: NIOSSLContext?, serverHostname: String?) {
        self.tls = tls
        self.serverHostname = serverHostname
    }
}
