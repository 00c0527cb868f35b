import NIOSSL

/// How a load test's connections reach the target: in clear or over TLS, HTTP/1.1 or HTTP/2
/// (over TLS through ALPN, in clear with prior knowledge: h2c).
public struct LoadTestTransport: Sendable {
    /// The client TLS context, `nil` in clear; its ALPN list must offer the protocol chosen here.
    public var tls: NIOSSLContext?
    /// The name sent in SNI and checked against the certificate; `nil` for none (an address).
    public var serverHostname: String?
    /// HTTP/2 with this many streams in flight per connection; `nil` for HTTP/1.1.
    public var http2Streams: Int?

    /// Plain TCP, HTTP/1.1.
    public static let cleartext = LoadTestTransport(tls: nil, serverHostname: nil)

    public init(tls: NIOSSLContext?, serverHostname: String?, http2Streams: Int? = nil) {
        self.tls = tls
        self.serverHostname = serverHostname
        self.http2Streams = http2Streams
    }
}
