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
    /// A request head must be complete this long after the connection opened or the previous
    /// response ended, else `408`.
    let requestHeaderTimeout: TimeAmount
    /// An idle keep-alive connection is closed after this long.
    let idleTimeout: TimeAmount
}
