import NIOCore
import NIOHTTP1

/// What an ``UpstreamConnection`` tells the exchange using it; all calls on the connection's loop.
protocol UpstreamConnectionDelegate: AnyObject {
    func upstreamHead(_ head: HTTPResponseHead)
    func upstreamBody(_ body: ByteBuffer)
    func upstreamEnd()
    func upstreamReadComplete()
    /// The connection closed or failed before the response ended.
    func upstreamFailed(_ error: any Error)
    func upstreamWritabilityChanged(_ isWritable: Bool)
}

/// The last handler of an upstream connection's pipeline: passes the response to the exchange
/// that holds the connection, holds reads while that exchange's client cannot take more, and
/// tracks whether the connection can serve another request.
final class UpstreamConnection: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    private enum State {
        case idle
        /// Lent to an exchange.
        case busy(requestEnded: Bool, responseEnded: Bool)
        case closed
    }

    private var context: ChannelHandlerContext?
    private var state: State = .idle
    /// The exchange holding the connection; cleared when it gives the connection back (``finish()``)
    /// or the connection closes, which breaks the reference cycle with the exchange.
    private var delegate: (any UpstreamConnectionDelegate)?
    private var keepAlive = true
    private var requestsLeft: Int
    private var reads = ReadGate()
    /// When the pool last took this connection back.
    var parkedAt: NIODeadline = .distantPast

    init(requestsPerConnection: Int) {
        self.requestsLeft = requestsPerConnection
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    var isWritable: Bool { self.context?.channel.isWritable ?? false }

    /// Open and not lent.
    var isIdleAndOpen: Bool {
        guard case .idle = self.state, let context = self.context else { return false }
        return context.channel.isActive
    }

    /// The exchange ended cleanly: whole request sent, whole response read, no `close` either way,
    /// requests left.
    var isReusable: Bool {
        guard case .busy(true, true) = self.state, self.keepAlive, self.requestsLeft > 0, let context = self.context else {
            return false
        }
        return context.channel.isActive
    }

    /// Lends the connection to `delegate` for one exchange.
    func begin(_ delegate: any UpstreamConnectionDelegate) {
        self.delegate = delegate
        self.state = .busy(requestEnded: false, responseEnded: false)
        self.requestsLeft -= 1
    }

    /// The exchange is done with the connection: `true` when it is idle and can serve another
    /// request, `false` when it was closed.
    func finish() -> Bool {
        self.delegate = nil
        self.resumeReads()
        guard self.isReusable else {
            self.close()
            return false
        }
        self.state = .idle
        return true
    }

    func write(_ part: HTTPClientRequestPart) {
        guard let context else { return }
        if case .end = part, case .busy(_, let responseEnded) = self.state {
            self.state = .busy(requestEnded: true, responseEnded: responseEnded)
        }
        if case .head(let head) = part, !head.isKeepAlive {
            self.keepAlive = false
        }
        context.write(self.wrapOutboundOut(part), promise: nil)
    }

    func flush() {
        self.context?.flush()
    }

    func close() {
        switch self.state {
        case .closed:
            return
        default:
            self.state = .closed
            self.delegate = nil
            self.context?.close(promise: nil)
        }
    }

    /// Stops reading responses until ``resumeReads()`` (the client is not writable).
    func holdReads() {
        self.reads.hold()
    }

    func resumeReads() {
        if self.reads.resume() {
            self.context?.read()
        }
    }

    // MARK: Channel events

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            if !head.isKeepAlive { self.keepAlive = false }
            self.delegate?.upstreamHead(head)
        case .body(let body):
            self.delegate?.upstreamBody(body)
        case .end:
            if case .busy(let requestEnded, _) = self.state {
                self.state = .busy(requestEnded: requestEnded, responseEnded: true)
            }
            self.delegate?.upstreamEnd()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.delegate?.upstreamReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        if self.reads.read() {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.delegate?.upstreamWritabilityChanged(context.channel.isWritable)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let delegate = self.delegate
        self.delegate = nil
        self.state = .closed
        delegate?.upstreamFailed(ChannelError.eof)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let delegate = self.delegate
        self.close()
        delegate?.upstreamFailed(error)
    }
}
