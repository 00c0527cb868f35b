import Logging
import NIOCore
import PortcullisHTTP1
import NIOHTTP1
import NIOSSL
import PortcullisAuth
import PortcullisMetrics
import PortcullisRedis

/// The gateway's request handler: one per HTTP/1 connection, or per HTTP/2 stream.
///
/// Everything a cache hit needs happens here, on the connection's event loop, in the callbacks
/// of one read: route, policy (``AuthPolicy/decide(_:)``), and either a fixed answer written
/// from buffers built at load or a ``ProxyExchange`` over this loop's upstream pool. Only a
/// pending decision (bcrypt, LDAP, a signature check, introspection) or an outbound token still
/// to fetch leaves the loop, as a promise completed back on it; reads are held meanwhile.
///
/// On HTTP/1 it sits right behind NIO's request decoder and writes bytes itself
/// (``HTTP1ResponseWriter``); on an HTTP/2 stream it writes response parts for
/// `HTTP2FramePayloadToHTTP1ServerCodec`. One request at a time: a pipelined HTTP/1 request is
/// queued, with reads held, until the response before it has ended; an HTTP/2 stream carries
/// one request. A request the decoder cannot parse gets `400` (`431` for a header block over
/// ``GatewayRuntime/maximumHeaderBytes``) and the connection closes.
final class HTTPConnectionHandler: ChannelDuplexHandler, LoopTicking {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = Never
    typealias OutboundOut = HTTPServerResponsePart

    /// The HTTP/1 server pipeline: NIO's request decoder (its header limit set to
    /// ``GatewayRuntime/maximumHeaderBytes``, so an oversized block is refused while it is
    /// read) and this handler.
    static func addHTTP1Handlers(to pipeline: ChannelPipeline.SynchronousOperations, loop: LoopRuntime, connection: ConnectionFacts) throws {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderListSize = GatewayRuntime.maximumHeaderBytes
        limits.maxHeaderFieldSize = GatewayRuntime.maximumHeaderBytes
        // After an upgrade request the decoder stops; its leftovers go on to the tunnel, if any.
        try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes, limitConfiguration: limits)))
        try pipeline.addHandler(HTTPConnectionHandler(loop: loop, connection: connection))
    }

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

    /// The snapshot the current request is served from: the loop's, as of the request's head.
    private var gateway: GatewayRuntime
    let loop: LoopRuntime
    let connection: ConnectionFacts
    private var context: ChannelHandlerContext?
    private var state: State
    private var reads = ReadGate()
    private var needsFlush = false
    /// HTTP/1 response bytes not yet handed to the channel: a head, and the body parts small
    /// enough to be copied after it, so that a small response leaves as one buffer — one pipeline
    /// write and one `write(2)` instead of two writes and a `writev(2)`. Handed over at the flush.
    private var unwritten: ByteBuffer?
    /// The most bytes ``unwritten`` gathers before it is handed over.
    private static let gatheredBytes = 16 * 1024
    /// HTTP/1 requests read while the response before them was still going, in order.
    /// An array, not a `CircularBuffer`: an empty array allocates nothing, and most connections
    /// never pipeline (a `CircularBuffer`'s 16 slots were ~1.4 KiB per idle connection).
    private var queued: [HTTPServerRequestPart] = []
    private var draining = false
    private var response = HTTP1ResponseWriter()
    /// Whether the current request has had a response head written.
    private var responseStarted = false
    /// The current request's facts, for metrics and framing.
    private var method = "GET"
    private var isHEAD = false
    private var keepAlive = true
    /// The request's HTTP/1 version; responses are sent in it (an HTTP/1.0 client gets no chunks).
    private var version: HTTPVersion = .http1_1
    private var started: NIODeadline = .distantPast
    /// When the head now being read began to arrive (`nil` while no byte of it has): from then
    /// on the header timeout, not the idle timeout, applies.
    private var headSince: NIODeadline?
    /// Request parts read in the current read burst: a burst that reads bytes but no part while
    /// idle delivered part of a head.
    private var partsThisBurst = 0
    /// The client shut its side down: the connection closes once what it asked for is answered.
    private var inputClosed = false
    private var service: ServiceMetrics?
    /// Set once the connection must close after the current response.
    private var closeAfterResponse = false
    /// Where the current request's access-log line is kept, while the loop keeps an access log:
    /// a box of its own, so that a connection without one does not carry the line's ~220 bytes
    /// (the 10,000-idle-connection benchmark of the memory budget issue). Reached through the
    /// box each time (`logSlot?.line?.field = ...`): a computed property with a `_modify` over
    /// it made the line's copy a heap-allocated coroutine frame per access (+2 to +6 allocations
    /// per request in Benchmarks/check-allocations.sh).
    private let logSlot: AccessLogSlot?
    /// Whether the current request asks the forward-auth endpoint for a decision.
    private var isDecision = false
    /// The current request's attempt, when its service is throttled, and this loop's connection
    /// to the shared store, when the limits are kept in one.
    private var attempt: (throttle: AuthThrottle, attempt: AuthThrottle.Attempt, store: RedisClient?)?
    var tickIndex = -1

    init(loop: LoopRuntime, connection: ConnectionFacts) {
        self.gateway = loop.gateway
        self.loop = loop
        self.connection = connection
        self.state = .idle(since: .now())
        self.logSlot = loop.accessLog == nil ? nil : AccessLogSlot()
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
        self.partsThisBurst &+= 1
        self.receive(self.unwrapInboundIn(data))
    }

    /// A part read from the client: handled now, or queued behind the response in progress
    /// when it belongs to a pipelined request.
    private func receive(_ part: HTTPServerRequestPart) {
        if self.queued.isEmpty {
            guard case .head = part else { return self.handle(part) }
            switch self.state {
            case .idle, .waiting, .closed:
                return self.handle(part)
            case .proxying, .answered:
                break
            }
        }
        self.queued.append(part)
        self.reads.hold(.pipelined)
    }

    /// Handles the queued requests once the response before them has ended.
    private func drainQueue() {
        guard !self.draining, !self.queued.isEmpty else { return }
        self.draining = true
        defer { self.draining = false }
        while let part = self.queued.first {
            if case .head = part, !self.isIdle { break }
            self.queued.removeFirst()
            self.handle(part)
        }
        if self.queued.isEmpty, self.reads.resume(.pipelined) {
            self.context?.read()
        }
        // What the queued requests wrote goes out now, not at the next read.
        self.readComplete()
    }

    private var isIdle: Bool {
        if case .idle = self.state { return true }
        return false
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if self.partsThisBurst == 0, self.headSince == nil, case .idle(let since) = self.state {
            // Bytes came but no complete head: the header timeout runs from the first of them
            // (from the connection's start for its first request). A partial head read in the
            // same burst as a whole request is not seen here and gets the idle timeout instead.
            self.headSince = self.started == .distantPast ? since : self.loop.now
        }
        self.partsThisBurst = 0
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
        // A request the client gave up on before its response ended: 499, as nginx logs it.
        if self.logSlot?.line != nil {
            if !self.responseStarted { self.logSlot?.line?.status = 499 }
            self.writeLog()
        }
        self.state = .closed
        self.loop.deregister(self)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let tls = error as? NIOSSLError, tls == .uncleanShutdown {
            // A TLS client that shut its side without close_notify: NIOSSL reports it, then the
            // input's end (userInboundEventTriggered), which answers what was read, as for a FIN.
            return
        }
        // A request the decoder cannot parse (bad framing, an oversized header block) gets its
        // 400 or 431 unless a response is already on its way; an exchange in progress is
        // abandoned, so nothing after the bad bytes reaches the upstream. The connection closes.
        let answers: Bool
        switch self.state {
        case .idle, .waiting:
            answers = true
        case .proxying(let exchange):
            exchange.clientClosed()
            answers = !self.responseStarted
        case .answered, .closed:
            answers = false
        }
        self.queued.removeAll()
        if let error = error as? HTTPParserError, answers, !self.connection.isHTTP2 {
            self.startLogWithoutHead()
            self.closeAfterResponse = true
            self.keepAlive = false
            self.isHEAD = false
            return self.answer(error == .headerOverflow ? .headerFieldsTooLarge : .badRequest, requestEnded: true)
        }
        self.state = .closed
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if !self.connection.isHTTP2, let event = event as? ChannelEvent, event == .inputClosed {
            // A half-close (RFC 9112 §9.6 lets a client shut its side after its last request):
            // what was read is still answered, pipelined requests included; then the connection
            // closes. In a tunnel the upstream is told the same.
            self.inputClosed = true
            switch self.state {
            case .idle where self.queued.isEmpty:
                self.state = .closed
                context.close(promise: nil)
            case .proxying(let exchange):
                exchange.clientInputClosed()
            case .idle, .waiting, .answered, .closed:
                break
            }
        } else if event is ChannelShouldQuiesceEvent {
            // Draining: the response in progress is the last one.
            self.closeAfterResponse = true
            self.queued.removeAll()
            if self.isIdle {
                self.state = .closed
                context.close(promise: nil)
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: Timers

    func tick(now: NIODeadline) {
        switch self.state {
        case .idle(let since):
            if let headSince = self.headSince {
                // A head begun and not finished in time: 408, and the connection closes.
                guard now - headSince >= self.gateway.requestHeaderTimeout, self.queued.isEmpty else { return }
                self.headSince = nil
                self.service = nil
                self.method = "GET"
                self.isHEAD = false
                self.version = .http1_1
                self.started = .now()
                self.startLogWithoutHead()
                self.closeAfterResponse = true
                self.answer(.requestTimeout, requestEnded: true)
                return
            }
            // A connection that never sent a byte gets the header timeout; an idle keep-alive
            // connection the idle timeout. Neither is owed a response.
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

    private func handle(_ part: HTTPServerRequestPart) {
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
        // A reload installs a new snapshot on the loop: each request reads it once.
        self.gateway = self.loop.gateway
        self.started = .now()
        self.headSince = nil
        self.method = head.method.rawValue
        self.isHEAD = head.method == .HEAD
        self.keepAlive = head.isKeepAlive
        self.version = head.version
        self.service = nil
        self.responseStarted = false
        self.isDecision = false
        // A forward-auth decision judges the request its headers (or its path) name.
        var target = head.uri
        if let endpoint = self.gateway.forwardAuth {
            switch endpoint.classify(head) {
            case .notDecision:
                break
            case .decision(let original):
                self.isDecision = true
                self.method = original.method
                target = original.target
            case .invalid(let problem):
                self.isDecision = true
                self.startLog(target: head.uri)
                self.requestLogger.debug("refused forward-auth request", metadata: ["reason": "\(problem)"])
                return self.refuseBeforePolicy(.badRequest, outcome: "invalid", head: head)
            }
        }
        self.startLog(target: target)
        // HTTP/2: the header block's size is bounded by the HTTP/2 codec's limits; HTTP/1: the
        // decoder refused an oversized block before it became a head (see addHTTP1Handlers).
        guard !self.connection.isHTTP2 || Self.headerBytes(head.headers) <= GatewayRuntime.maximumHeaderBytes else {
            self.closeAfterResponse = true
            return self.answer(.headerFieldsTooLarge, requestEnded: false)
        }
        let path: RequestPath
        do {
            path = try RequestPath(target: target)
        } catch {
            self.requestLogger.debug("rejected request path", metadata: ["reason": "\(error)"])
            return self.refuseBeforePolicy(.badRequest, outcome: "invalid", head: head)
        }
        let upgradeAsked = self.connection.isHTTP2 ? nil : Self.requestedUpgrade(head)
        if upgradeAsked != nil {
            // NIO's decoder parses nothing after an upgrade request: unless the protocol is
            // switched, the connection ends with this response.
            self.closeAfterResponse = true
        }
        // A decision never opens an upstream connection, whatever headers it carries.
        let upgrade = self.isDecision ? nil : upgradeAsked
        let route: Route
        switch self.gateway.routes.match(method: self.method, path: path) {
        case .notFound:
            return self.refuseBeforePolicy(.notFound, outcome: "not_found", head: head)
        case .methodNotAllowed(let service, let allow):
            self.service = service.metrics
            self.logSlot?.line?.service = service.name
            let answer = FixedAnswer(status: .methodNotAllowed, headers: [("allow", allow.joined(separator: ", "))])
            return self.refuseBeforePolicy(answer, outcome: "method_not_allowed", head: head)
        case .route(let matched):
            route = matched
        }
        self.service = route.service.metrics
        self.logSlot?.line?.service = route.service.name
        if !self.isDecision, case .decisionsOnly = route.action {
            // Nothing to forward to: the service exists for decisions only.
            return self.answer(.notFound, requestEnded: false, expectsBody: Self.declaresBody(head))
        }
        guard !route.policy.isPublic else {
            if self.isDecision {
                route.service.metrics.recordForwardAuthDecision(shard: self.loop.index, outcome: "allowed")
            }
            return self.authorized(head, route: route, principal: nil, upgrade: upgrade)
        }
        // A decision's TLS peer is the proxy asking, not its client: its certificate proves nothing
        // about the original request, so mTLS entries do not authenticate decisions.
        let readsCertificate = !self.isDecision && (route.policy.usesClientCertificate || route.forwardsIdentity)
        let request = AuthRequest(authorization: head.headers.first(name: "authorization"), clientCertificate: readsCertificate ? self.connection.clientCertificate : nil)
        // The Basic user name, made only for those who read it: the access log (hashed, on a
        // refusal) and the per-user limit.
        let throttle = route.service.throttle
        var basicUser: String?
        if self.logSlot?.line != nil || throttle != nil, case .basic(let credentials) = request.credential {
            basicUser = credentials.username
        }
        self.logSlot?.line?.basicUser = basicUser
        self.attempt = nil
        if let throttle {
            // Before any costly work: a refused attempt reaches no bcrypt, directory or IdP.
            let attempt = throttle.attempt(
                peer: self.connection.clientAddress,
                headers: head.headers,
                basicUser: basicUser,
                presentedCredentials: request.credential != .none
            )
            if let store = throttle.store, let client = self.loop.throttleStores[store.client] {
                self.attempt = (throttle, attempt, client)
                return self.admit(attempt, throttle: throttle, client: client, request: request, head: head, route: route, upgrade: upgrade)
            }
            if let (limiter, retryAfter) = throttle.admit(attempt, service: route.service.name) {
                return self.refuseThrottled(throttle, limiter: limiter, retryAfter: retryAfter, head: head)
            }
            self.attempt = (throttle, attempt, nil)
        }
        self.authenticate(request, head: head, route: route, upgrade: upgrade)
    }

    private func authenticate(_ request: AuthRequest, head: HTTPRequestHead, route: Route, upgrade: String?) {
        switch route.policy.decide(request) {
        case .decided(let decision):
            self.decided(decision, head: head, route: route, presentedToken: request.credential.presentedBearerToken, upgrade: upgrade)
        case .pending(let pending):
            self.wait(for: pending, head: head, route: route, presentedToken: request.credential.presentedBearerToken, upgrade: upgrade)
        }
    }

    /// Holds reads while the shared store checks the attempt (on this loop's connection to it;
    /// bounded by its timeout, after which the local limits decide), then goes on as
    /// ``begin(_:)`` would have.
    private func admit(
        _ attempt: AuthThrottle.Attempt,
        throttle: AuthThrottle,
        client: RedisClient,
        request: AuthRequest,
        head: HTTPRequestHead,
        route: Route,
        upgrade: String?
    ) {
        self.state = .waiting(buffered: [])
        self.holdReads()
        throttle.admit(attempt, service: route.service.name, through: client).assumeIsolated().whenSuccess { refusal in
            guard case .waiting(let buffered) = self.state else { return }
            if let (limiter, retryAfter) = refusal {
                self.refuseThrottled(throttle, limiter: limiter, retryAfter: retryAfter, head: head)
            } else {
                self.authenticate(request, head: head, route: route, upgrade: upgrade)
            }
            self.replay(buffered)
            // A pending decision holds the reads on; it resumes them when it ends.
            if case .waiting = self.state { return }
            self.resumeReads()
            self.readComplete()
        }
    }

    private func refuseThrottled(_ throttle: AuthThrottle, limiter: AuthThrottle.Limiter, retryAfter: Int, head: HTTPRequestHead) {
        self.attempt = nil
        self.logSlot?.line?.outcome = "throttled"
        self.logSlot?.line?.reason = limiter.rawValue
        self.logSlot?.line?.basicUser = nil
        self.refuseBeforePolicy(throttle.refusal(retryAfter: retryAfter), outcome: "throttled", head: head, expectsBody: Self.declaresBody(head))
    }

    /// Holds reads and finishes the decision off the loop; the request continues on the loop.
    private func wait(for pending: PendingPolicyDecision, head: HTTPRequestHead, route: Route, presentedToken: Bool, upgrade: String?) {
        self.state = .waiting(buffered: [])
        self.holdReads()
        let promise = self.loop.eventLoop.makePromise(of: PolicyDecision.self)
        promise.completeWithTask { await pending.resume() }
        promise.futureResult.assumeIsolated().whenSuccess { decision in
            guard case .waiting(let buffered) = self.state else { return }
            self.decided(decision, head: head, route: route, presentedToken: presentedToken, upgrade: upgrade)
            self.replay(buffered)
            self.resumeReads()
            // The request continues as if its parts had just been read.
            self.readComplete()
        }
    }

    private func decided(_ decision: PolicyDecision, head: HTTPRequestHead, route: Route, presentedToken: Bool, upgrade: String?) {
        route.service.metrics.recordDecision(shard: self.loop.index, auth: decision.method?.rawValue ?? "none", outcome: decision.outcome.rawValue)
        if self.isDecision {
            route.service.metrics.recordForwardAuthDecision(shard: self.loop.index, outcome: decision.outcome.rawValue)
        }
        self.logSlot?.line?.record(decision)
        if let (throttle, attempt, store) = self.attempt {
            switch decision.outcome {
            case .unauthenticated: throttle.failed(attempt, client: store)
            case .allowed, .forbidden: throttle.succeeded(attempt, client: store)
            case .unavailable: break
            }
            self.attempt = nil
        }
        if let refusal = route.refusals.answer(for: decision, presentedToken: presentedToken) {
            decision.logRejection(to: self.requestLogger, service: route.service.name)
            return self.answer(refusal, requestEnded: false, expectsBody: Self.declaresBody(head))
        }
        self.authorized(head, route: route, principal: decision.principal, upgrade: upgrade)
    }

    private func authorized(_ head: HTTPRequestHead, route: Route, principal: Principal?, upgrade: String?) {
        if self.isDecision {
            return self.answerDecision(principal, head: head, service: route.service.name)
        }
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
                upgrade: upgrade,
                service: route.service,
                logger: self.gateway.logger
            )
            self.state = .proxying(exchange)
            exchange.start()
        case .decisionsOnly:
            // Refused before auth (see begin); kept total.
            self.answer(.notFound, requestEnded: false, expectsBody: Self.declaresBody(head))
        }
    }

    // MARK: Forward-auth decisions

    /// The answer to an allowed decision: `200`, and the principal's identity in the headers the
    /// proxy copies onwards (`auth_request_set`, `authResponseHeaders`, `allowed_upstream_headers`).
    /// Never a body, never an upstream; a request body is not read (the connection closes after
    /// the answer when one was announced).
    private func answerDecision(_ principal: Principal?, head: HTTPRequestHead, service: String) {
        if let principal, !Self.isRepresentable(principal) {
            self.gateway.logger.notice(
                "the principal's subject or scopes are not valid header values; decision answered 502",
                metadata: ["service": "\(service)"]
            )
            return self.answer(.badGateway, requestEnded: false, expectsBody: Self.declaresBody(head))
        }
        self.answer(.decisionAllowed, requestEnded: false, expectsBody: Self.declaresBody(head), identity: principal)
    }

    /// Answers a request before any policy was asked (`400`, `404`, `405`, `429`); a decision
    /// request's answer is counted among decisions. `expectsBody`: whether to close rather than
    /// read an announced body; by default only a decision's (which is never read).
    private func refuseBeforePolicy(_ answer: FixedAnswer, outcome: String, head: HTTPRequestHead, expectsBody: Bool? = nil) {
        if self.isDecision {
            (self.service ?? self.gateway.unmatched).recordForwardAuthDecision(shard: self.loop.index, outcome: outcome)
        }
        self.answer(answer, requestEnded: false, expectsBody: expectsBody ?? (self.isDecision && Self.declaresBody(head)))
    }

    /// Whether the principal's subject and scopes can be written as header values.
    private static func isRepresentable(_ principal: Principal) -> Bool {
        ProxyHeaders.isFieldValue(principal.subject) && principal.scopes.allSatisfy(ProxyHeaders.isFieldValue)
    }

    private func replay(_ parts: [HTTPServerRequestPart]) {
        for part in parts {
            self.receive(part)
        }
    }

    // MARK: Answers the gateway makes itself

    /// Writes a fixed answer; the rest of the request, if any, is read and dropped, or the
    /// connection is closed when the request still has a body to come.
    func answer(_ answer: FixedAnswer, requestEnded: Bool, expectsBody: Bool = false, identity: Principal? = nil) {
        guard let context else { return }
        if !requestEnded && expectsBody {
            // Reading (possibly a large upload, possibly never sent after Expect) only to drop it
            // is not worth keeping the connection.
            self.closeAfterResponse = true
        }
        self.recordResponse(code: answer.head.status.code)
        self.responseStarted = true
        if !self.isHEAD { self.logSlot?.line?.bytes += answer.body.readableBytes }
        if self.connection.isHTTP2 {
            var head = answer.head
            if let identity {
                head.headers.add(name: "x-auth-subject", value: identity.subject)
                head.headers.add(name: "x-auth-scopes", value: identity.scopes.joined(separator: " "))
                head.headers.add(name: "x-auth-method", value: identity.method.rawValue)
            }
            head.headers.add(name: "date", value: self.loop.date)
            self.write(.head(head))
            if answer.body.readableBytes > 0 && !self.isHEAD {
                self.write(.body(.byteBuffer(answer.body)))
            }
            return self.endResponse(requestEnded: requestEnded)
        }
        // One buffer, one write: status line, headers, date, body.
        var bytes = context.channel.allocator.buffer(capacity: answer.serialisedSize(identity: identity))
        answer.write(version: self.version, date: self.loop.date, connection: self.connectionField(), forHEAD: self.isHEAD, identity: identity, into: &bytes)
        self.endResponse(requestEnded: requestEnded, last: bytes)
    }

    // MARK: For the exchange

    /// Writes a response head, adding `connection` where HTTP/1 needs it, and counts the request.
    func writeHead(_ head: inout HTTPResponseHead) {
        self.recordResponse(code: head.status.code)
        self.responseStarted = true
        guard !self.connection.isHTTP2, let context else {
            return self.write(.head(head))
        }
        head.version = self.version
        let connectionField = self.connectionField(status: head.status, hasContentLength: head.headers.contains(name: "content-length"))
        var bytes = context.channel.allocator.buffer(capacity: 256)
        self.response.writeHead(head, connection: connectionField, forHEAD: self.isHEAD, into: &bytes)
        self.gather(bytes, context: context)
    }

    /// Writes an upstream response's head to an HTTP/1 client: its field lines copied as they
    /// came, less what ``ProxyHeaders/ClientFields`` drops; `connection` added where needed.
    func writeHead(_ fields: ProxyHeaders.ClientFields) {
        let status = fields.head.status
        self.recordResponse(code: status.code)
        self.responseStarted = true
        guard let context else { return }
        let hasContentLength = fields.hasContentLength
        let connectionField = self.connectionField(status: status, hasContentLength: hasContentLength)
        var bytes = context.channel.allocator.buffer(capacity: fields.head.fields.bytes.readableBytes + 96)
        self.response.writeHead(
            version: self.version,
            status: status,
            hasContentLength: hasContentLength,
            connection: connectionField,
            forHEAD: self.isHEAD,
            into: &bytes
        ) { buffer, stripsFraming in
            fields.write(strippingFraming: stripsFraming, into: &buffer)
        }
        self.gather(bytes, context: context)
    }

    /// The `connection` field of a response head to an HTTP/1 client (see ``connectionField()``);
    /// `upgrade` after a switch of protocols.
    private func connectionField(status: HTTPResponseStatus, hasContentLength: Bool) -> StaticString? {
        if status == .switchingProtocols {
            // The upstream accepted the upgrade: the connection now carries the new protocol.
            self.closeAfterResponse = false
            return "upgrade"
        }
        if self.version == .http1_0 && !hasContentLength {
            // HTTP/1.0 has no chunked coding: a body of unknown length ends with the connection.
            self.closeAfterResponse = true
        }
        return self.connectionField()
    }

    /// Writes `100 Continue`: the client may send the body it announced.
    func writeContinue() {
        guard let context else { return }
        if self.connection.isHTTP2 {
            self.write(.head(HTTPResponseHead(version: .http1_1, status: .continue)))
        } else {
            var bytes = context.channel.allocator.buffer(capacity: 32)
            HTTP1ResponseWriter.writeInterim(.continue, version: self.version, into: &bytes)
            self.handOverUnwritten(context: context)
            context.write(NIOAny(bytes), promise: nil)
            self.needsFlush = true
        }
    }

    /// Writes a part of the response body.
    func writeBody(_ body: ByteBuffer) {
        guard let context else { return }
        self.logSlot?.line?.bytes += body.readableBytes
        if self.connection.isHTTP2 {
            return self.write(.body(.byteBuffer(body)))
        }
        let bytes = self.response.body(body, allocator: context.channel.allocator)
        if case .one(let part) = bytes, let unwritten, unwritten.readableBytes + part.readableBytes <= Self.gatheredBytes {
            return self.gather(part, context: context)
        }
        self.handOverUnwritten(context: context)
        if HTTP1Chunked.write(bytes, on: context) {
            self.needsFlush = true
        }
    }

    private func write(_ part: HTTPServerResponsePart) {
        self.context?.write(self.wrapOutboundOut(part), promise: nil)
        self.needsFlush = true
    }

    func flushIfNeeded() {
        guard self.needsFlush, let context else { return }
        self.needsFlush = false
        self.handOverUnwritten(context: context)
        context.flush()
    }

    /// Adds `bytes` to what this read's flush will write as one buffer (see ``unwritten``).
    private func gather(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        self.needsFlush = true
        guard var unwritten = self.unwritten else {
            self.unwritten = bytes
            return
        }
        self.unwritten = nil  // keeps the append below from copying the storage
        var bytes = bytes
        unwritten.writeBuffer(&bytes)
        self.unwritten = unwritten
    }

    /// Writes the gathered bytes (not flushed), before any other write.
    private func handOverUnwritten(context: ChannelHandlerContext) {
        guard let unwritten else { return }
        self.unwritten = nil
        context.write(NIOAny(unwritten), promise: nil)
    }

    /// The `connection` field an HTTP/1 response carries, if any; decides whether the
    /// connection closes after it.
    private func connectionField() -> StaticString? {
        if self.inputClosed && self.queued.isEmpty {
            self.closeAfterResponse = true
        }
        if self.closeAfterResponse || !self.keepAlive {
            self.closeAfterResponse = true
            return "close"
        }
        return self.version == .http1_0 ? "keep-alive" : nil
    }

    /// The exchange's upstream answered (its head) this long after the request went out.
    func upstreamAnswered(after duration: TimeAmount) {
        self.logSlot?.line?.upstream = duration
    }

    /// Starts the current request's access-log line, while the loop keeps an access log; a
    /// decision is logged with its original method and target.
    private func startLog(target: String) {
        if self.loop.accessLog != nil {
            self.logSlot?.line = AccessLogLine(client: self.connection.clientAddress, method: self.method, target: target)
        }
    }

    /// An access-log line for an answer to a request whose head was never read whole (`400`,
    /// `408`, `431`): method `-`, no path.
    private func startLogWithoutHead() {
        guard self.logSlot?.line == nil, self.loop.accessLog != nil else { return }
        self.logSlot?.line = AccessLogLine(client: self.connection.clientAddress, method: "-", target: "")
    }

    /// Hands the current request's access-log line to the loop's log.
    private func writeLog() {
        guard let slot = self.logSlot, var line = slot.line else { return }
        slot.line = nil
        line.duration = .now() - self.started
        self.loop.accessLog?.append(line)
    }

    private func recordResponse(code: UInt) {
        self.logSlot?.line?.status = code
        (self.service ?? self.gateway.unmatched).recordRequest(
            shard: self.loop.index,
            method: self.method,
            code: Int(code),
            duration: .nanoseconds((NIODeadline.now() - self.started).nanoseconds)
        )
    }

    /// Ends the response (with `last`, its remaining bytes, on HTTP/1); closes the connection
    /// after it when it must, or handles a queued request once this one has been read.
    private func endResponse(requestEnded: Bool, last: ByteBuffer? = nil) {
        guard let context else { return }
        self.writeLog()
        self.state = requestEnded ? .idle(since: .now()) : .answered
        self.needsFlush = false
        // What is left to write: HTTP/2's end of stream, or on HTTP/1 the last chunk (or the
        // fixed answer); a body framed by its length needs only a flush.
        let part: NIOAny?
        if self.connection.isHTTP2 {
            part = self.wrapOutboundOut(.end(nil))
        } else {
            var bytes = last
            if var unwritten = self.unwritten {
                // The gathered head and body go out with the rest: one buffer.
                self.unwritten = nil
                if var last { unwritten.writeBuffer(&last) }
                bytes = unwritten
            }
            if self.response.framing == .chunked {
                var end = bytes ?? context.channel.allocator.buffer(capacity: 5)
                self.response.writeEnd(into: &end)
                bytes = end
            }
            self.response = HTTP1ResponseWriter()
            part = bytes.map { NIOAny($0) }
        }
        if self.closeAfterResponse {
            self.state = .closed
            self.queued.removeAll()
            // The close waits for the last write (an empty one when nothing is left).
            context.writeAndFlush(part ?? NIOAny(ByteBuffer())).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        } else {
            if let part {
                context.writeAndFlush(part, promise: nil)
            } else {
                context.flush()
            }
            if requestEnded { self.drainQueue() }
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

    /// The upstream switched protocols: from now on the client's bytes are not HTTP. The request
    /// decoder makes way for a ``ClientTunnelHandler`` (its buffered bytes passed on first), and
    /// the connection ends when either side closes.
    func startTunnel() {
        guard let context else { return }
        let pipeline = context.pipeline.syncOperations
        do {
            try pipeline.addHandler(ClientTunnelHandler(client: self), position: .before(self))
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            // The decoder leaves on the loop's next turn, passing on the bytes it holds: they go
            // out once it has left.
            let removed = context.eventLoop.makePromise(of: Void.self)
            removed.futureResult.assumeIsolated().whenComplete { _ in self.readComplete() }
            pipeline.removeHandler(decoder, promise: removed)
        } catch {
            return self.abort()
        }
        self.flushIfNeeded()
    }

    /// Bytes from the client of an upgraded connection.
    func tunnelBytes(_ bytes: ByteBuffer) {
        if case .proxying(let exchange) = self.state {
            exchange.clientTunnel(bytes)
        }
    }

    /// The response cannot be completed: the client must not take a cut body for a whole one.
    func abort() {
        self.unwritten = nil
        self.writeLog()
        self.state = .closed
        self.context?.close(promise: nil)
    }

    var isClientWritable: Bool { self.context?.channel.isWritable ?? false }

    func holdReads() {
        self.reads.hold(.partner)
    }

    func resumeReads() {
        if self.reads.resume(.partner) {
            self.context?.read()
        }
    }

    /// The request's last part was read after its response was written: ready for the next request.
    private func requestEnded() {
        guard case .answered = self.state else { return }
        self.state = .idle(since: .now())
        self.drainQueue()
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

    /// The protocols an HTTP/1.1 request asks to switch to (`Upgrade`, named in `Connection`
    /// as RFC 9110 §7.8 requires), or `nil`.
    static func requestedUpgrade(_ head: HTTPRequestHead) -> String? {
        guard head.version == .http1_1, let protocols = head.headers.first(name: "upgrade"), !protocols.isEmpty else { return nil }
        let named = head.headers["connection"].contains { value in
            value.split(separator: ",").contains { $0.filter { $0 != " " && $0 != "\t" }.lowercased() == "upgrade" }
        }
        return named ? protocols : nil
    }

    /// Whether the request announces a body (a positive `content-length` or a transfer coding).
    static func declaresBody(_ head: HTTPRequestHead) -> Bool {
        if let length = head.headers.first(name: "content-length") {
            return length != "0"
        }
        return head.headers.contains(name: "transfer-encoding")
    }
}
