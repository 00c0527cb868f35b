import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import PortcullisAuth
import PortcullisAuthEngine
import PortcullisConfig
import PortcullisMetrics

/// One gateway connection without a socket, for benchmarks and tests: the gateway's HTTP/1
/// server pipeline (NIO's request decoder and ``HTTPConnectionHandler``) on an `EmbeddedChannel`,
/// fed request bytes, read for response bytes. Proxied routes get upstream connections that are
/// `EmbeddedChannel`s too (``upstreams``), answered by the `upstream` closure. Measures what a
/// request costs the gateway itself (codec, routing, policy, pools, answer), allocations
/// included, away from the kernel and the load generator.
@_spi(Benchmarks) public final class EmbeddedGatewayConnection {
    /// What the fake upstream does with the bytes of a request it read: answer them, or not yet.
    public typealias Upstream = (_ request: ByteBuffer) -> ByteBuffer?

    /// The channel, for tests that look at its state (closed after `Connection: close`, ...).
    public let channel: EmbeddedChannel
    private let opened: OpenedUpstreams
    private let upstream: Upstream?
    private let routes: RouteTable

    /// The upstream connections the gateway opened, oldest first.
    public var upstreams: [EmbeddedChannel] { self.opened.channels }

    /// A connection to a gateway running `config`'s routes. Proxied requests reach
    /// `upstream`, which sees each request's bytes as the gateway flushed them; without it, the
    /// upstream connections stay unanswered (``upstreams`` shows what they received).
    public init(config: GatewayConfig, metrics: PortcullisMetrics, logger: Logger? = nil, upstream: Upstream? = nil) async throws {
        let engine = try await AuthEngine.load(config: config, metrics: metrics, claims: .dropped)
        await engine.start()
        let channel = EmbeddedChannel()
        let opened = OpenedUpstreams(loop: channel.embeddedEventLoop)
        var upstreams: [UpstreamKey: UpstreamPool.Settings] = [:]
        for service in config.services {
            guard let url = service.upstream else { continue }
            var settings = UpstreamPool.Settings(host: url.host, port: url.port, tls: nil, serverHostname: nil, connectTimeout: .seconds(5))
            settings.connector = opened.connector
            upstreams[UpstreamKey(url: url, secureSocket: service.upstreamClient.secureSocket)] = settings
        }
        let logger = logger ?? {
            var logger = Logger(label: "portcullis.benchmark")
            logger.logLevel = .critical
            return logger
        }()
        let routes = RouteTable(config: config, engine: engine, metrics: metrics)
        let gateway = GatewayRuntime(
            routes: routes,
            unmatched: metrics.service(ServiceConfig.unmatchedName),
            logger: logger,
            requestHeaderTimeout: .seconds(30),
            idleTimeout: .seconds(60),
            upstreams: upstreams,
            forwardAuth: config.forwardAuth.map(ForwardAuthEndpoint.init)
        )
        let loop = LoopRuntime(eventLoop: channel.embeddedEventLoop, index: 0, gateway: gateway)
        try HTTPConnectionHandler.addHTTP1Handlers(
            to: channel.pipeline.syncOperations,
            loop: loop,
            connection: ConnectionFacts(scheme: "http", clientAddress: "192.0.2.1")
        )
        try await channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 1234)).get()
        self.channel = channel
        self.opened = opened
        self.upstream = upstream
        self.routes = routes
    }

    /// Decides a `GET` of `target` with `authorization` as a request would, waiting for what is
    /// not cached (a signature check, bcrypt): the caches are warm afterwards. An
    /// `EmbeddedChannel` cannot wait for work done on other threads, so benchmarks of cache hits
    /// warm them here first.
    public func warm(target: String, authorization: String) async throws {
        guard case .route(let route) = self.routes.match(method: "GET", path: try RequestPath(target: target)) else { return }
        if case .pending(let pending) = route.policy.decide(AuthRequest(authorization: authorization, clientCertificate: nil)) {
            _ = await pending.resume()
        }
    }

    /// Sends `request` (one or more whole requests) and returns the number of response bytes written.
    public func exchange(_ request: ByteBuffer) throws -> Int {
        try self.channel.writeInbound(request)
        try self.pumpUpstreams()
        var written = 0
        while let data = try self.channel.readOutbound(as: IOData.self) {
            written += data.readableBytes
        }
        return written
    }

    /// Sends `request` and returns the response bytes as text.
    public func exchange(_ request: String) throws -> String {
        try self.channel.writeInbound(ByteBuffer(string: request))
        try self.pumpUpstreams()
        return try self.readResponse()
    }

    /// The response bytes written since the last read, as text.
    public func readResponse() throws -> String {
        var output = ""
        while let data = try self.channel.readOutbound(as: IOData.self) {
            if case .byteBuffer(let bytes) = data { output += String(buffer: bytes) }
        }
        return output
    }

    /// Lets every upstream connection answer what it has been sent, until none has more to say.
    public func pumpUpstreams() throws {
        self.channel.embeddedEventLoop.run()
        guard let upstream = self.upstream else { return }
        var progressed = true
        while progressed {
            progressed = false
            self.channel.embeddedEventLoop.run()
            for channel in self.opened.channels where channel.isActive {
                var sent: ByteBuffer?
                while let data = try channel.readOutbound(as: IOData.self) {
                    guard case .byteBuffer(var bytes) = data else { continue }
                    if var earlier = sent {
                        earlier.writeBuffer(&bytes)
                        sent = earlier
                    } else {
                        sent = bytes
                    }
                }
                if let sent, let reply = upstream(sent) {
                    progressed = true
                    try channel.writeInbound(reply)
                }
            }
        }
    }
}

/// The upstream `EmbeddedChannel`s an ``EmbeddedGatewayConnection``'s pools opened.
///
/// Used on the embedded loop's thread only (the connector runs there).
private final class OpenedUpstreams: @unchecked Sendable {
    let loop: EmbeddedEventLoop
    private(set) var channels: [EmbeddedChannel] = []

    init(loop: EmbeddedEventLoop) {
        self.loop = loop
    }

    var connector: UpstreamPool.Connector {
        { [self] settings, _ in
            let channel = EmbeddedChannel(loop: self.loop)
            let connection = UpstreamConnection(requestsPerConnection: settings.requestsPerConnection)
            do {
                try channel.pipeline.syncOperations.addHandler(connection)
                _ = channel.connect(to: try SocketAddress(ipAddress: "198.51.100.1", port: 80))
            } catch {
                return self.loop.makeFailedFuture(error)
            }
            self.channels.append(channel)
            return self.loop.makeSucceededFuture(connection)
        }
    }
}
