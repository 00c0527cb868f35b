import Logging
import NIOCore
import PortcullisMetrics

/// The immutable snapshot every connection handler reads: routes, limits and where to log.
struct GatewayRuntime: Sendable {
    /// The largest request header block accepted, in bytes (names, values and separators).
    static let maximumHeaderBytes = 16 * 1024

    let routes: RouteTable
    /// Counts requests no service owns.
    let unmatched: ServiceMetrics
    let logger: Logger
    /// A new connection's first request head must be complete this long after it opened, else
    /// the connection is closed.
    let requestHeaderTimeout: TimeAmount
    /// An idle keep-alive connection is closed after this long.
    let idleTimeout: TimeAmount
}
