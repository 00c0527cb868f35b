import NIOCore

/// Takes the place of the HTTP/1 request decoder once an upgrade was accepted (`101 Switching
/// Protocols`): the client's bytes, the decoder's leftovers first, go to the connection handler
/// as they are, for the upstream of the tunnel.
final class ClientTunnelHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private unowned let client: HTTPConnectionHandler

    init(client: HTTPConnectionHandler) {
        self.client = client
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Not passed on: the connection handler behind reads HTTP parts, not bytes.
        self.client.tunnelBytes(self.unwrapInboundIn(data))
    }
}
