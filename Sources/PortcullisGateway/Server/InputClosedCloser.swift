import NIOCore

/// Closes an HTTP/2 connection whose peer shut its sending side (a TCP FIN, or a TLS
/// close_notify): HTTP/2 has no half-closed connection, and with half-closure allowed on the
/// listener (for HTTP/1 clients, RFC 9112 §9.6) nothing else would close it.
final class InputClosedCloser: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }
}
