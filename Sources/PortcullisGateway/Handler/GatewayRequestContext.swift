import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage and the connection the request came on.
public struct GatewayRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection (HTTP/1) or stream (HTTP/2) channel, to find the TLS client certificate.
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }

    /// The client's address, for `x-forwarded-for`.
    var remoteAddress: SocketAddress? {
        self.channel.remoteAddress ?? self.channel.parent?.remoteAddress
    }
}
