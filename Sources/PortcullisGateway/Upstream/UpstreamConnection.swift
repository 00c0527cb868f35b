import NIOCore
import PortcullisHTTP1
import NIOHTTP1

/// What an ``UpstreamConnection`` tells the exchange using it; all calls on the connection's loop.
protocol UpstreamConnectionDelegate: AnyObject {
    func upstreamHead(_ head: HTTP1ResponseHead)
    func upstreamBody(_ body: ByteBuffer)
    func upstreamEnd()
    func upstreamReadComplete()
    /// The connection closed or failed before the response ended.
    func upstreamFailed(_ error: any Error)
    func upstreamWritabilityChanged(_ isWritable: Bool)
}

/// The HTTP/1 client side of an upstream connection, and the last handler of its pipeline
/// (after TLS, if any): writes the request's bytes itself, reads the response with an
/// ``HTTP1ResponseParser`` and passes it to the exchange that holds the connection, holds reads
/// while that exchange's client cannot take more, and tracks whether the connection can serve
/// another request.
final class UpstreamConnection: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Never
    typealias OutboundOut = ByteBuffer

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
    private var parser = HTTP1ResponseParser()
    /// Whether the request body being sent is chunked.
    private var chunked = false
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
        guard case .busy(true, true) = self.state, self.keepAlive, self.parser.keepAlive, self.requestsLeft > 0, let context = self.context else {
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

    /// Writes a part of the request (not flushed). The head's headers say the body's framing: a
    /// `transfer-encoding` (only ever `chunked`, set by the exchange) or a `content-length`.
    func write(_ part: HTTPClientRequestPart) {
        guard let context else { return }
        switch part {
        case .head(let head):
            if !head.isKeepAlive { self.keepAlive = false }
            self.chunked = head.headers.contains(name: "transfer-encoding")
            self.parser.expectResponse(toHEAD: head.method == .HEAD, upgrade: head.headers.contains(name: "upgrade"))
            var bytes = context.channel.allocator.buffer(capacity: 512)
            bytes.writeString(head.method.rawValue)
            bytes.writeInteger(UInt8(ascii: " "))
            bytes.writeString(head.uri)
            bytes.writeStaticString(" HTTP/1.1\r\n")
            for (name, value) in head.headers {
                bytes.writeHTTPField(name, value)
            }
            bytes.writeStaticString("\r\n")
            context.write(NIOAny(bytes), promise: nil)
        case .body(let body):
            if self.chunked, case .byteBuffer(let buffer) = body {
                HTTP1Chunked.write(HTTP1Chunked.frame(buffer, allocator: context.channel.allocator), on: context)
            } else {
                context.write(NIOAny(body), promise: nil)
            }
        case .end:
            if case .busy(_, let responseEnded) = self.state {
                self.state = .busy(requestEnded: true, responseEnded: responseEnded)
            }
            if self.chunked {
                context.write(NIOAny(ByteBuffer(staticString: HTTP1Chunked.last)), promise: nil)
            }
        }
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

    /// Shuts the connection's sending side (a tunnel's client half-closed); reading goes on.
    func closeOutput() {
        self.context?.close(mode: .output, promise: nil)
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
        self.parser.append(self.unwrapInboundIn(data))
        do {
            // Each event is taken on its own: handling one may lend the connection to the next
            // request, which resets the parser for its response.
            while let event = try self.parser.next() {
                self.deliver(event)
            }
        } catch {
            self.errorCaught(context: context, error: error)
        }
    }

    private func deliver(_ event: HTTP1ResponseParser.Event) {
        switch event {
        case .head(let head):
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
        if case .busy = self.state, let end = self.parser.endOfInput() {
            // A body without a length ends with the connection.
            self.deliver(end)
        }
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
