import Logging
import NIOCore
import NIOSSL
import PortcullisMetrics
import PortcullisRedis

/// The immutable snapshot connection handlers read: routes, upstreams, limits, the listener's TLS
/// context and where to log.
///
/// A reload builds a new one and installs it on every loop (``LoopRuntime/install(_:)``); a
/// request reads it once, when its head arrives, and finishes on it whatever is installed later.
final class GatewayRuntime: Sendable {
    /// The largest request header block accepted, in bytes (names, values and separators).
    static let maximumHeaderBytes = 16 * 1024

    let routes: RouteTable
    /// Counts requests no service owns.
    let unmatched: ServiceMetrics
    let logger: Logger
    /// A request head must be complete this long after its first byte (after the connection
    /// opened, for the first request), else `408` and the connection is closed.
    let requestHeaderTimeout: TimeAmount
    /// An idle keep-alive connection is closed after this long.
    let idleTimeout: TimeAmount
    /// The pool settings of every upstream the routes proxy to.
    let upstreams: [UpstreamKey: UpstreamPool.Settings]
    /// The listener's context (ALPN `h2`, `http/1.1`) for new connections; `nil` for plain HTTP.
    let tls: NIOSSLContext?
    /// Whether new TLS connections are asked for a client certificate.
    let readsClientCertificates: Bool
    /// The decision endpoint, when `[forwardAuth]` is configured.
    let forwardAuth: ForwardAuthEndpoint?
    /// The Redis servers the throttling limits are shared through: each loop keeps one
    /// connection to each.
    let throttleStores: Set<RedisClientConfiguration>

    init(
        routes: RouteTable,
        unmatched: ServiceMetrics,
        logger: Logger,
        requestHeaderTimeout: TimeAmount,
        idleTimeout: TimeAmount,
        upstreams: [UpstreamKey: UpstreamPool.Settings],
        tls: NIOSSLContext? = nil,
        readsClientCertificates: Bool = false,
        forwardAuth: ForwardAuthEndpoint? = nil,
        throttleStores: Set<RedisClientConfiguration> = []
    ) {
        self.routes = routes
        self.unmatched = unmatched
        self.logger = logger
        self.requestHeaderTimeout = requestHeaderTimeout
        self.idleTimeout = idleTimeout
        self.upstreams = upstreams
        self.tls = tls
        self.readsClientCertificates = readsClientCertificates
        self.forwardAuth = forwardAuth
        self.throttleStores = throttleStores
    }
}
