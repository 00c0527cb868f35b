import NIOCore
import PortcullisAuth

/// What the gateway knows about one client connection, read once per connection and shared by
/// the handler of every request on it (HTTP/1) or every stream (HTTP/2). Used on the connection's
/// loop only.
final class ConnectionFacts: @unchecked Sendable {
    /// `http` or `https`, for `x-forwarded-proto`.
    let scheme: String
    /// The peer's IP address, for `x-forwarded-for`.
    let clientAddress: String?
    /// The verified client certificate, set when the TLS handshake completes.
    var clientCertificate: ClientCertificate?
    /// Requests on this connection are HTTP/2 streams (no `Connection` semantics).
    var isHTTP2 = false

    init(scheme: String, clientAddress: String?) {
        self.scheme = scheme
        self.clientAddress = clientAddress
    }
}
