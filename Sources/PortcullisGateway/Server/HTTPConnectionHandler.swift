import Logging
import NIOCore
import NIOHTTP1
import PortcullisAuth
import PortcullisMetrics

/// The gateway's request handler: one per HTTP/1 connection, or per HTTP/2 stream.
///
/// Everything a cache hit needs happens here, on the connection's event loop, in the callbacks
/// of one read: route, policy (``AuthPolicy/decide(_:)``), and either a fixed answer written
/// from buffers built at load or a ``ProxyExchange`` over this loop's upstream pool. Only a
/// pending decision (bcrypt, LDAP, a signature check, introspection) or an outbound token still
/// to fetch leaves the loop, as a promise completed back on it; reads are held meanwhile.
///
/// One request at a time: `HTTPServerPipelineHandler` (HTTP/1) holds pipelined requests until
/// the response before them has ended, and an HTTP/2 stream carries one request.
final class HTTPConnectionHandler: ChannelDuplexHandler, LoopTicking {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// What the handler is doing with the current request.
    private enum State {
        /// Waiting for a request head, since `since`.
        case idle(since: NIODeadline)
        /// A decision or a credential is pending; request parts that arrive meanwhile wait here.
        case waiting(buffered: [HTTPServerRequestPart])
        /// The response ended before the request did; the rest of the request is read and dropped.
        case answered
        case proxying(ProxyExchange)
        case closed
    }

    private let gateway: GatewayRuntime
    let loop: LoopRuntime
    let connection: ConnectionFacts
    private var context: ChannelHandlerContext?
    private var state: State
    private var reads = ReadGate()
    private var needsFlush = false
    /// The current request's facts, for metrics and framing.
    private var method = "GET"
    private var keepAlive = true
    /// The request's HTTP/1 version; responses are sent in it (an HTTP/1.0 client gets no chunks).
    private var version: HTTPVersion = .http1_1
    private var started: NIODeadline = .distantPast
    private var service: ServiceMetrics?
    /// Set once the connection must close after the current response.
    private var closeAfterResponse = false
    var tickIndex = -1

    init(gateway: GatewayRuntime, loop: LoopRuntime, connection: ConnectionFacts) {
        self.gateway = gateway
        self.loop = loop
        self.connection = connection
        self.state = .idle(since: .now())
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.loop.register(self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.loop.deregister(self)
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.receive(self.unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.readComplete()
        context.fireChannelReadComplete()
    }

    /// What a read burst ends with: one flush each way for everything it produced.
    private func readComplete() {
        if case .proxying(let exchange) = self.state {
            exchange.clientReadComplete()
        }
        self.flushIfNeeded()
    }

    func read(context: ChannelHandlerContext) {
        if self.reads.read() {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if case .proxying(let exchange) = self.state {
            exchange.clientWritabilityChanged(context.channel.isWritable)
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .proxying(let exchange) = self.state {
            exchange.clientClosed()
        }
        self.state = .closed
        self.loop.deregister(self)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Framing errors of the request decoder are answered with 400 by
        // HTTPServerProtocolErrorHandler before they reach here; anything else ends the connection.
        if case .proxying(let exchange) = self.state {
            exchange.clientClosed()
        }
        self.state = .closed
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            self.closeAfterResponse = true
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: Timers

    func tick(now: NIODeadline) {
        switch self.state {
        case .idle(let since):
            // A connection that never sent a request gets the header timeout; an idle keep-alive
            // connection the idle timeout.
            let limit = self.started == .distantPast ? self.gateway.requestHeaderTimeout : self.gateway.idleTimeout
            if now - since >= limit {
                self.state = .closed
                self.context?.close(promise: nil)
            }
        case .proxying(let exchange):
            exchange.tick(now: now)
        case .waiting, .answered, .closed:
            break
        }
    }

    // MARK: Requests

    private func receive(_ part: HTTPServerRequestPart) {
        switch self.state {
        case .idle:
            guard case .head(let head) = part else { return }
            self.begin(head)
        case .waiting(var buffered):
            self.state = .closed
            buffered.append(part)
            self.state = .waiting(buffered: buffered)
        case .answered:
            if case .end = part {
                self.requestEnded()
            }
        case .proxying(let exchange):
            exchange.clientPart(part)
        case .closed:
            break
        }
    }

    private func begin(_ head: HTTPRequestHead) {
        self.started = .now()
        self.method = head.method.rawValue
        self.keepAlive = head.isKeepAlive
        self.version = head.version
        self.service = nil
        guard Self.headerBytes(head.headers) <= GatewayRuntime.maximumHeaderBytes else {
            self.closeAfterResponse = true
            return self.answer(.headerFieldsTooLarge, requestEnded: false)
        }
        let path: RequestPath
        do {
            path = try RequestPath(target: head.uri)
        } catch {
            self.requestLogger.debug("rejected request path", metadata: ["reason": "\(error)"])
            return self.answer(.badRequest, requestEnded: false)
        }
        let route: Route
        switch self.gateway.routes.match(method: self.method, path: path) {
        case .notFound:
            return self.answer(.notFound, requestEnded: false)
        case .methodNotAllowed(let service, let allow):
            self.service = service.metrics
            return self.answer(FixedAnswer(status: .methodNotAllowed, headers: [("allow", allow.joined(separator: ", "))]), requestEnded: false)
        case .route(let matched):
            route = matched
        }
        self.service = route.service.metrics
        guard !route.policy.isPublic else {
            return self.authorized(head, route: route, principal: nil)
        }
        let certificate = route.policy.usesClientCertificate || route.forwardsIdentity ? self.connection.clientCertificate : nil
        let request = AuthRequest(authorization: head.headers.first(name: "authorization"), clientCertificate: certificate)
        switch route.policy.decide(request) {
        case .decided(let decision):
            self.decided(decision, head: head, route: route, presentedToken: request.credential.presentedBearerToken)
        case .pending(let pending):
            self.wait(for: pending, head: head, route: route, presentedToken: request.credential.presentedBearerToken)
        }
    }

    /// Holds reads and finishes the decision off the loop; the request continues on the loop.
    private func wait(for pending: PendingPolicyDecision, head: HTTPRequestHead, route: Route, presentedToken: Bool) {
        self.state = .waiting(buffered: [])
        self.holdReads()
        let promise = self.loop.eventLoop.makePromise(of: PolicyDecision.self)
        promise.completeWithTask { await pending.resume() }
        promise.futureResult.assumeIsolated().whenSuccess { decision in
            guard case .waiting(let buffered) = self.state else { return }
            self.decided(decision, head: head, route: route, presentedToken: presentedToken)
            self.replay(buffered)
            self.resumeReads()
            // The request continues as if its parts had just been read.
            self.readComplete()
        }
    }

    private func decided(_ decision: PolicyDecision, head: HTTPRequestHead, route: Route, presentedToken: Bool) {
        route.service.metrics.recordDecision(auth: decision.method?.rawValue ?? "none", outcome: decision.outcome.rawValue)
        if let refusal = route.refusals.answer(for: decision, presentedToken: presentedToken) {
            decision.logRejection(to: self.requestLogger, service: route.service.name)
            return self.answer(refusal, requestEnded: false, expectsBody: Self.declaresBody(head))
        }
        self.authorized(head, route: route, principal: decision.principal)
    }

    private func authorized(_ head: HTTPRequestHead, route: Route, principal: Principal?) {
        switch route.action {
        case .respond(let answer):
            self.answer(answer, requestEnded: false, expectsBody: Self.declaresBody(head))
        case .proxy(let target):
            guard let pool = self.loop.pools[target.key] else {
                return self.answer(.badGateway, requestEnded: false)
            }
            let exchange = ProxyExchange(
                client: self,
                head: head,
                target: target,
                pool: pool,
                principal: principal,
                service: route.service,
                logger: self.gateway.logger
            )
            self.state = .proxying(exchange)
            exchange.start()
        }
    }

    private func replay(_ parts: [HTTPServerRequestPart]) {
        for part in parts {
            self.receive(part)
        }
    }

    // MARK: Answers the gateway makes itself

    /// Writes a fixed answer; the rest of the request, if any, is read and dropped, or the
    /// connection is closed when the request still has a body to come.
    func answer(_ answer: FixedAnswer, requestEnded: Bool, expectsBody: Bool = false) {
        if !requestEnded && expectsBody {
            // Reading (possibly a large upload, possibly never sent after Expect) only to drop it
            // is not worth keeping the connection.
            self.closeAfterResponse = true
        }
        var head = answer.head
        head.headers.add(name: "date", value: self.loop.date)
        self.writeHead(&head)
        if answer.body.readableBytes > 0 {
            self.write(.body(.byteBuffer(answer.body)))
        }
        self.endResponse(requestEnded: requestEnded)
    }

    // MARK: For the exchange

    /// Writes a response head, adding `connection` where HTTP/1 needs it, and counts the request.
    func writeHead(_ head: inout HTTPResponseHead) {
        if !self.connection.isHTTP2 {
            head.version = self.version
            if self.version == .http1_0 && !head.headers.contains(name: "content-length") {
                // HTTP/1.0 has no chunked coding: a body of unknown length ends with the connection.
                self.closeAfterResponse = true
            }
            if self.closeAfterResponse || !self.keepAlive {
                head.headers.replaceOrAdd(name: "connection", value: "close")
                self.closeAfterResponse = true
            } else if self.version == .http1_0 {
                head.headers.replaceOrAdd(name: "connection", value: "keep-alive")
            }
        }
        (self.service ?? self.gateway.unmatched).recordRequest(
            method: self.method,
            code: Int(head.status.code),
            duration: .nanoseconds((NIODeadline.now() - self.started).nanoseconds)
        )
        self.write(.head(head))
    }

    func write(_ part: HTTPServerResponsePart) {
        self.context?.write(self.wrapOutboundOut(part), promise: nil)
        self.needsFlush = true
    }

    func flushIfNeeded() {
        guard self.needsFlush, let context else { return }
        self.needsFlush = false
        context.flush()
    }

    /// Writes the response end; closes the connection after it when it must.
    ///
    /// The state moves on first: writing the end lets `HTTPServerPipelineHandler` deliver a
    /// pipelined request at once, when the current one has been read to its end.
    private func endResponse(requestEnded: Bool) {
        guard let context else { return }
        self.state = requestEnded ? .idle(since: .now()) : .answered
        self.needsFlush = false
        if self.closeAfterResponse {
            self.state = .closed
            context.writeAndFlush(self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        } else {
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    /// The exchange read the whole response: ends it, and the request is over once read to its end.
    func exchangeFinished(requestEnded: Bool) {
        guard case .proxying = self.state else { return }
        self.resumeReads()
        self.endResponse(requestEnded: requestEnded)
    }

    /// The exchange failed before a response head: answer for it.
    func exchangeFailed(_ answer: FixedAnswer, requestEnded: Bool, expectsBody: Bool) {
        guard case .proxying = self.state else { return }
        self.answer(answer, requestEnded: requestEnded, expectsBody: expectsBody && !requestEnded)
    }

    /// The response cannot be completed: the client must not take a cut body for a whole one.
    func abort() {
        self.state = .closed
        self.context?.close(promise: nil)
    }

    var isClientWritable: Bool { self.context?.channel.isWritable ?? false }

    func holdReads() {
        self.reads.hold()
    }

    func resumeReads() {
        if self.reads.resume() {
            self.context?.read()
        }
    }

    /// The request's last part was read after its response was written: ready for the next request.
    private func requestEnded() {
        guard case .answered = self.state else { return }
        self.state = .idle(since: .now())
    }

    // MARK: Helpers

    /// The gateway's logger with a `request.id` when debug lines will be written (built only then).
    private var requestLogger: Logger {
        var logger = self.gateway.logger
        if logger.logLevel <= .debug {
            logger[metadataKey: "request.id"] = "\(self.loop.nextRequestID())"
        }
        return logger
    }

    private static func headerBytes(_ headers: HTTPHeaders) -> Int {
        var total = 0
        for (name, value) in headers {
            total += name.utf8.count + value.utf8.count + 4
        }
        return total
    }

    /// Whether the request announces a body (a positive `content-length` or a transfer coding).
    static func declaresBody(_ head: HTTPRequestHead) -> Bool {
        if let length = head.headers.first(name: "content-length") {
            return length != "0"
        }
        return head.headers.contains(name: "transfer-encoding")
    }
}
