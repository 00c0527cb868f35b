import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import PortcullisTLS

/// The keep-alive connections of one event loop to one upstream.
///
/// Used only on its loop: no locks, and ``acquire()`` hands back an idle connection synchronously.
/// It starts empty (a request that never passes auth never opens a connection), keeps idle
/// connections last-in first-out (the warmest first; the oldest age out in ``sweep(now:)``), and
/// gives a connection back to the idle list only when its exchange ended cleanly
/// (``UpstreamConnection/isReusable``).
final class UpstreamPool {
    /// Opens a connection for a pool: a socket (``socketConnector``), or an `EmbeddedChannel` in
    /// tests and benchmarks.
    typealias Connector = @Sendable (_ settings: Settings, _ eventLoop: any EventLoop) -> EventLoopFuture<UpstreamConnection>

    struct Settings: Sendable {
        var host: String
        var port: Int
        /// `nil` for plain HTTP.
        var tls: NIOSSLContext?
        /// The name checked against the upstream's certificate and sent as SNI; `nil` for an IP address.
        var serverHostname: String?
        var connectTimeout: TimeAmount
        /// The most idle connections kept on this loop.
        var maximumIdle: Int = 256
        /// Idle connections older than this are closed.
        var idleTimeout: TimeAmount = .seconds(55)
        /// Requests sent on one connection before it is closed (nginx's `keepalive_requests`).
        var requestsPerConnection: Int = 1000
        var connector: Connector = UpstreamPool.socketConnector
        /// The files ``tls`` was built from, with their digests.
        var tlsFiles: [FileFingerprint] = []

        /// Whether connections made with `self` and with `other` are interchangeable (a reload
        /// keeps the pool then): same origin, same TLS files, same limits.
        func isEquivalent(to other: Settings) -> Bool {
            self.host == other.host && self.port == other.port && (self.tls == nil) == (other.tls == nil)
                && self.serverHostname == other.serverHostname && self.connectTimeout == other.connectTimeout
                && self.maximumIdle == other.maximumIdle && self.idleTimeout == other.idleTimeout
                && self.requestsPerConnection == other.requestsPerConnection && self.tlsFiles == other.tlsFiles
        }
    }

    let eventLoop: any EventLoop
    let settings: Settings
    private var idle: [UpstreamConnection] = []
    /// Set once a reload dropped this pool: connections coming back are closed, not parked.
    private var retired = false

    init(eventLoop: any EventLoop, settings: Settings) {
        self.eventLoop = eventLoop
        self.settings = settings
    }

    /// An idle connection ready for a request, or `nil` when a new one must be made.
    func acquire() -> UpstreamConnection? {
        while let connection = self.idle.popLast() {
            if connection.isIdleAndOpen { return connection }
        }
        return nil
    }

    /// Opens a new connection on this loop.
    func connect() -> EventLoopFuture<UpstreamConnection> {
        self.settings.connector(self.settings, self.eventLoop)
    }

    /// A TCP connection (TLS when the settings have a context) made on `eventLoop`.
    static let socketConnector: Connector = { settings, eventLoop in
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(settings.connectTimeout)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls = settings.tls {
                        try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: settings.serverHostname))
                    }
                    // HTTP/1 is written and read by UpstreamConnection itself. Request headers
                    // are checked where the gateway adds values (ProxyHeaders); the client's were
                    // validated when they were parsed.
                    try sync.addHandler(UpstreamConnection(requestsPerConnection: settings.requestsPerConnection))
                }
            }
        return bootstrap.connect(host: settings.host, port: settings.port).flatMapThrowing { channel in
            try channel.pipeline.syncOperations.handler(type: UpstreamConnection.self)
        }
    }

    /// Takes a connection back after an exchange (every exchange ends here, cleanly or not);
    /// closes it unless it can serve another request.
    func release(_ connection: UpstreamConnection, now: NIODeadline) {
        guard connection.finish(), !self.retired, self.idle.count < self.settings.maximumIdle else {
            connection.close()
            return
        }
        connection.parkedAt = now
        self.idle.append(connection)
    }

    /// Closes idle connections parked longer than the idle timeout.
    func sweep(now: NIODeadline) {
        let limit = now - self.settings.idleTimeout
        var expired = 0
        while expired < self.idle.count, self.idle[expired].parkedAt < limit || !self.idle[expired].isIdleAndOpen {
            expired += 1
        }
        guard expired > 0 else { return }
        for connection in self.idle[..<expired] { connection.close() }
        self.idle.removeFirst(expired)
    }

    func closeAll() {
        for connection in self.idle { connection.close() }
        self.idle.removeAll()
    }

    /// A reload dropped this pool: idle connections close now, busy ones when their exchange ends.
    func retire() {
        self.retired = true
        self.closeAll()
    }
}
