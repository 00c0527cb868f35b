import Logging
import NIOCore
import NIOHTTP1
import PortcullisAuth
import PortcullisClientAuth
import PortcullisConfig
import PortcullisHTTP1
import PortcullisMetrics

/// One proxied request: the client's request streamed to a connection from this loop's
/// ``UpstreamPool``, and the upstream's response streamed back.
///
/// Lives on the client connection's event loop, like the upstream connection it borrows: no
/// hop, no lock. Each side's reads are held while the other side cannot take more, so memory
/// stays bounded whatever the peers' speeds. Failures before the response head are answered
/// (`502`, `504`); after it the client connection is closed, so a cut body never looks complete.
final class ProxyExchange: UpstreamConnectionDelegate {
    private enum Phase {
        /// Waiting for `upstreamClient.auth` to give a token.
        case credentials
        /// Waiting for a new connection.
        case connecting
        /// Request and response flow.
        case exchanging
        /// The upstream refused the gateway's token; waiting to know if a new one can be had. The
        /// refusal's body (and end) may already arrive: it is kept in case it must be forwarded.
        case renewing(HTTP1ResponseHead, body: [ByteBuffer], ended: Bool)
        /// Reading and dropping the refused response before sending the request again.
        case discarding
        /// The upstream switched protocols (`101`): bytes flow both ways as they are, until
        /// either side closes.
        case tunneling
        case done
    }

    /// The largest request body kept (besides being streamed) toward an upstream whose
    /// `upstreamClient.auth` renews tokens, so the request can be repeated after a `401`.
    static let replayableBodySize = 64 * 1024

    private unowned let client: HTTPConnectionHandler
    private let target: UpstreamTarget
    private let pool: UpstreamPool
    private let service: ServiceRuntime
    private let logger: Logger
    private let inbound: HTTPRequestHead
    private var outbound: HTTPRequestHead
    private let principal: Principal?
    /// The protocol the client asked to switch to (`Upgrade`), if any.
    private let upgrade: String?
    private var phase: Phase = .connecting
    private var upstream: UpstreamConnection?
    /// Parts read from the client before a connection was there to take them.
    private var pending: [HTTPClientRequestPart] = []
    /// HTTP/2 requests without `content-length`: the head waits until the body's first part or
    /// its end tells how to frame it.
    private var headHeld = false
    private var headSent = false
    private var requestEnded = false
    private var bodySent = false
    private var responseStarted = false
    /// The request body kept for a second attempt; `nil` when the request cannot be repeated.
    private var replay: [ByteBuffer]?
    private var authorization: String?
    private var staleRetried = false
    private var reusedConnection = false
    private var deadline: NIODeadline
    private var lastActivity: NIODeadline
    private var upstreamStarted: NIODeadline = .distantPast

    init(
        client: HTTPConnectionHandler,
        head: HTTPRequestHead,
        target: UpstreamTarget,
        pool: UpstreamPool,
        principal: Principal?,
        upgrade: String? = nil,
        service: ServiceRuntime,
        logger: Logger
    ) {
        self.client = client
        self.upgrade = upgrade
        self.inbound = head
        self.target = target
        self.pool = pool
        self.principal = principal
        self.service = service
        self.logger = logger
        self.outbound = HTTPRequestHead(version: .http1_1, method: head.method, uri: target.url.pathPrefix + head.uri)
        self.deadline = .now() + target.timeout
        self.lastActivity = .now()
        if let credential = target.credential, credential.renewsOnRejection {
            if let length = head.headers.first(name: "content-length").flatMap(Int.init) {
                self.replay = length <= Self.replayableBodySize ? [] : nil
            } else {
                self.replay = head.headers.contains(name: "transfer-encoding") ? nil : []
            }
        }
    }

    func start() {
        if self.inbound.headers.first(name: "expect")?.lowercased() == "100-continue" {
            // Authorized: now the client may send its body (RFC 9110 §10.1.1).
            self.client.writeContinue()
            self.client.flushIfNeeded()
        }
        guard let credential = self.target.credential else {
            return self.prepare(authorization: nil, withinClientRead: true)
        }
        if let value = credential.immediateAuthorization() {
            return self.prepare(authorization: value, withinClientRead: true)
        }
        self.phase = .credentials
        self.client.holdReads()
        let promise = self.client.loop.eventLoop.makePromise(of: String.self)
        promise.completeWithTask { try await credential.authorization() }
        promise.futureResult.assumeIsolated().whenComplete { result in
            guard case .credentials = self.phase else { return }
            switch result {
            case .success(let value):
                self.prepare(authorization: value, withinClientRead: false)
            case .failure(let error):
                // The token manager logs each failed token request; this is per request.
                self.logger.notice(
                    "no upstream credentials; request not sent",
                    metadata: ["service": "\(self.service.name)", "reason": "\(error)"]
                )
                self.failBeforeResponse(.badGateway)
            }
        }
    }

    /// - Parameter withinClientRead: called while the client's read is being handled, whose
    ///   read-complete flushes the upstream connection; otherwise writes are flushed here.
    private func prepare(authorization: String?, withinClientRead: Bool) {
        self.authorization = authorization
        let connection = self.client.connection
        guard
            let headers = ProxyHeaders.upstreamHeaders(
                from: self.inbound.headers,
                downstream: Downstream(
                    clientAddress: connection.clientAddress,
                    scheme: connection.scheme,
                    principal: self.principal,
                    clientCertificate: self.target.forwardIdentity ? connection.clientCertificate : nil
                ),
                target: self.target,
                authorization: authorization
            )
        else {
            self.logger.notice(
                "a header value the gateway adds is not a valid field value; request not sent",
                metadata: ["service": "\(self.service.name)"]
            )
            return self.failBeforeResponse(.badGateway)
        }
        self.outbound.headers = headers
        if let upgrade = self.upgrade {
            // Hop-by-hop, so removed above: asked of this hop again (RFC 9110 §7.8).
            self.outbound.headers.add(name: "connection", value: "upgrade")
            self.outbound.headers.add(name: "upgrade", value: upgrade)
        }
        // `content-length` is copied with the end-to-end headers; a transfer coding is redone.
        if !self.inbound.headers.contains(name: "content-length") {
            if self.inbound.headers.contains(name: "transfer-encoding") {
                self.outbound.headers.add(name: "transfer-encoding", value: "chunked")
            } else if connection.isHTTP2 {
                self.headHeld = true
            }
        }
        self.acquire(withinClientRead: withinClientRead)
    }

    private func acquire(withinClientRead: Bool) {
        if let connection = self.pool.acquire() {
            self.reusedConnection = true
            return self.attach(connection, flush: !withinClientRead)
        }
        self.reusedConnection = false
        self.phase = .connecting
        self.client.holdReads()
        self.pool.connect().assumeIsolated().whenComplete { result in
            guard case .connecting = self.phase else {
                if case .success(let connection) = result { connection.close() }
                return
            }
            switch result {
            case .success(let connection):
                self.attach(connection, flush: true)
            case .failure(let error):
                self.logger.notice("upstream unreachable", metadata: ["service": "\(self.service.name)", "reason": "\(error)"])
                self.failBeforeResponse(.badGateway)
            }
        }
    }

    private func attach(_ connection: UpstreamConnection, flush: Bool) {
        self.phase = .exchanging
        self.upstream = connection
        self.upstreamStarted = .now()
        connection.begin(self)
        if !self.headHeld {
            self.forwardHead()
        }
        for part in self.pending {
            connection.write(part)
        }
        self.pending.removeAll()
        if flush { connection.flush() }
        if connection.isWritable {
            self.client.resumeReads()
        } else {
            self.client.holdReads()
        }
    }

    // MARK: From the client

    func clientPart(_ part: HTTPServerRequestPart) {
        switch part {
        case .head:
            return
        case .body(let buffer):
            if self.replay != nil { self.replay?.append(buffer) }
            self.bodySent = true
            if self.headHeld {
                self.outbound.headers.add(name: "transfer-encoding", value: "chunked")
                self.forwardHead()
            }
            self.forward(.body(.byteBuffer(buffer)))
        case .end:
            self.requestEnded = true
            if self.headHeld {
                self.forwardHead()
            }
            self.forward(.end(nil))
        }
    }

    /// The head's framing is known: it goes now if a connection is attached, else `attach` sends it.
    private func forwardHead() {
        self.headHeld = false
        if let upstream = self.upstream, case .exchanging = self.phase {
            self.headSent = true
            upstream.write(.head(self.outbound))
        }
    }

    private func forward(_ part: HTTPClientRequestPart) {
        if let upstream = self.upstream, case .exchanging = self.phase, self.headSent {
            upstream.write(part)
        } else {
            self.pending.append(part)
        }
    }

    func clientReadComplete() {
        self.upstream?.flush()
    }

    /// Bytes from the client once the protocol was switched.
    func clientTunnel(_ bytes: ByteBuffer) {
        guard case .tunneling = self.phase else { return }
        self.lastActivity = .now()
        self.upstream?.write(.body(.byteBuffer(bytes)))
    }

    func clientWritabilityChanged(_ isWritable: Bool) {
        if isWritable {
            self.upstream?.resumeReads()
        } else {
            self.upstream?.holdReads()
        }
    }

    /// The client shut its side down. The request goes on to its response; a tunnel passes the
    /// half-close on to the upstream.
    func clientInputClosed() {
        if case .tunneling = self.phase {
            self.upstream?.closeOutput()
        }
    }

    func clientClosed() {
        self.phase = .done
        self.releaseUpstream()
    }

    // MARK: From the upstream

    func upstreamHead(_ head: HTTP1ResponseHead) {
        guard case .exchanging = self.phase else { return }
        if head.status == .switchingProtocols {
            // Only ever to a request that asked for an upgrade (the parser refuses any other).
            return self.startTunnel(head)
        }
        if head.status == .unauthorized, self.replay != nil, self.requestEnded, let authorization, let credential = self.target.credential {
            // The upstream refused the gateway's token (revoked before its expiry): ask for a new
            // one while the refusal waits, and send the request once more if there is one.
            self.phase = .renewing(head, body: [], ended: false)
            self.upstream?.holdReads()
            let promise = self.client.loop.eventLoop.makePromise(of: String?.self)
            promise.completeWithTask { await credential.renewed(afterRejecting: authorization) }
            promise.futureResult.assumeIsolated().whenSuccess { renewed in
                guard case .renewing(let refused, let body, let ended) = self.phase else { return }
                if let renewed {
                    self.authorization = renewed
                    self.outbound.headers.replaceOrAdd(name: "authorization", value: renewed)
                    self.phase = .discarding
                    if ended {
                        self.upstreamEnd()
                    } else {
                        self.upstream?.resumeReads()
                    }
                } else {
                    self.phase = .exchanging
                    self.forwardResponseHead(refused)
                    for part in body { self.upstreamBody(part) }
                    if ended {
                        self.upstreamEnd()
                    } else {
                        self.upstream?.resumeReads()
                    }
                }
            }
            return
        }
        self.forwardResponseHead(head)
    }

    private func forwardResponseHead(_ head: HTTP1ResponseHead) {
        self.responseStarted = true
        self.recordUpstreamTime()
        if self.client.connection.isHTTP2 {
            var response = HTTPResponseHead(version: .http1_1, status: head.status, headers: ProxyHeaders.clientHeaders(from: head.headers))
            return self.client.writeHead(&response)
        }
        self.client.writeHead(ProxyHeaders.ClientFields(head))
    }

    private func startTunnel(_ head: HTTP1ResponseHead) {
        self.responseStarted = true
        self.phase = .tunneling
        self.lastActivity = .now()
        self.recordUpstreamTime()
        let upstreamHeaders = head.headers
        var headers = ProxyHeaders.clientHeaders(from: upstreamHeaders)
        if let protocols = upstreamHeaders.first(name: "upgrade") {
            headers.add(name: "upgrade", value: protocols)
        }
        var response = HTTPResponseHead(version: .http1_1, status: .switchingProtocols, headers: headers)
        self.client.writeHead(&response)
        self.client.startTunnel()
    }

    func upstreamBody(_ body: ByteBuffer) {
        if case .renewing(let head, var kept, let ended) = self.phase {
            self.phase = .done
            kept.append(body)
            self.phase = .renewing(head, body: kept, ended: ended)
            return
        }
        switch self.phase {
        case .exchanging, .tunneling:
            // The precise clock: a deadline from the tick's coarse one could fire early.
            self.lastActivity = .now()
        default:
            return
        }
        self.client.writeBody(body)
        if !self.client.isClientWritable {
            self.upstream?.holdReads()
        }
    }

    func upstreamEnd() {
        switch self.phase {
        case .renewing(let head, let body, _):
            self.phase = .renewing(head, body: body, ended: true)
        case .discarding:
            // The refused answer is read: send the request again, with its new token and kept body.
            self.releaseUpstream()
            self.pending = self.replay.map { body in body.map { .body(.byteBuffer($0)) } } ?? []
            self.pending.append(.end(nil))
            self.replay = nil  // sent again once at most
            self.headSent = false
            self.acquireForResend()
        case .exchanging:
            self.phase = .done
            self.releaseUpstream()
            self.client.exchangeFinished(requestEnded: self.requestEnded)
        default:
            return
        }
    }

    private func acquireForResend() {
        self.deadline = .now() + self.target.timeout
        self.acquire(withinClientRead: false)
    }

    func upstreamReadComplete() {
        self.client.flushIfNeeded()
    }

    func upstreamFailed(_ error: any Error) {
        self.upstream = nil
        switch self.phase {
        case .exchanging, .renewing, .discarding, .tunneling:
            break
        default:
            return
        }
        if self.responseStarted {
            self.logger.notice("upstream failed mid-response", metadata: ["service": "\(self.service.name)", "error": "\(error)"])
            self.phase = .done
            self.client.abort()
            return
        }
        if self.reusedConnection, !self.staleRetried, !self.bodySent, !HTTPConnectionHandler.declaresBody(self.inbound), Self.isIdempotent(self.inbound.method) {
            // A pooled connection the upstream had closed meanwhile: nothing was processed, so
            // the request may go again on another connection.
            self.staleRetried = true
            self.headSent = false
            self.pending = self.requestEnded ? [.end(nil)] : []
            return self.acquire(withinClientRead: false)
        }
        self.logger.notice("upstream unreachable", metadata: ["service": "\(self.service.name)", "reason": "\(error)"])
        self.failBeforeResponse(.badGateway)
    }

    func upstreamWritabilityChanged(_ isWritable: Bool) {
        if isWritable {
            self.client.resumeReads()
        } else {
            self.client.holdReads()
        }
    }

    // MARK: Deadlines

    func tick(now: NIODeadline) {
        switch self.phase {
        case .connecting, .exchanging, .renewing, .discarding, .credentials, .tunneling:
            if !self.responseStarted {
                if now >= self.deadline {
                    self.logger.notice("upstream timed out", metadata: ["service": "\(self.service.name)"])
                    self.releaseUpstream(closing: true)
                    self.failBeforeResponse(.gatewayTimeout)
                }
            } else if now - self.lastActivity >= self.target.timeout {
                if case .tunneling = self.phase {
                    // As nginx's proxy_read_timeout for upgraded connections: silence both ways closes.
                    self.logger.debug("upgraded connection idle; closed", metadata: ["service": "\(self.service.name)"])
                } else {
                    self.logger.notice("upstream stalled mid-response", metadata: ["service": "\(self.service.name)"])
                }
                self.phase = .done
                self.releaseUpstream(closing: true)
                self.client.abort()
            }
        case .done:
            break
        }
    }

    // MARK: Endings

    private func failBeforeResponse(_ answer: FixedAnswer) {
        self.phase = .done
        self.releaseUpstream(closing: true)
        self.client.resumeReads()
        self.client.exchangeFailed(answer, requestEnded: self.requestEnded, expectsBody: HTTPConnectionHandler.declaresBody(self.inbound))
    }

    private func releaseUpstream(closing: Bool = false) {
        guard let upstream = self.upstream else { return }
        self.upstream = nil
        if closing {
            upstream.close()
        } else {
            self.pool.release(upstream, now: self.client.loop.now)
        }
    }

    /// Records how long the upstream took to its response head.
    private func recordUpstreamTime() {
        let elapsed = NIODeadline.now() - self.upstreamStarted
        self.service.metrics.recordUpstream(shard: self.client.loop.index, duration: .nanoseconds(elapsed.nanoseconds))
        self.client.upstreamAnswered(after: elapsed)
    }

    private static func isIdempotent(_ method: HTTPMethod) -> Bool {
        switch method {
        case .GET, .HEAD, .OPTIONS, .PUT, .DELETE, .TRACE: true
        default: false
        }
    }
}
