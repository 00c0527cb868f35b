import NIOCore
import NIOHPACK

/// A place for one request in flight: an HTTP/1.1 connection has one, an HTTP/2 connection one
/// per stream it keeps open at once (`--streams`). The driver hands out free slots; the
/// connection that owns a slot reports its answer. Used on its event loop only.
final class LoadSlot {
    /// The request on the wire, if any.
    struct Outstanding {
        var classIndex: Int
        /// When it should have been sent (nanoseconds, `NIODeadline` scale).
        var intended: Int64
        var sent: Int64
        /// Whether it counts (intended after the warm-up).
        var measured: Bool
    }

    unowned let connection: any LoadClientConnection
    var outstanding: Outstanding?

    init(connection: any LoadClientConnection) {
        self.connection = connection
    }
}

/// A request's bytes as a connection sends them, built once per class and credential.
enum LoadRequest {
    case http1(ByteBuffer)
    case http2(HPACKHeaders)
}

/// One connection to the target as a ``LoopDriver`` sees it: its slots, and what it can be
/// told to do. Connections report answers and losses to their driver.
protocol LoadClientConnection: AnyObject {
    var slots: [LoadSlot] { get }
    /// Sends `request` on `slot` (whose `outstanding` the driver has set).
    func send(_ request: LoadRequest, on slot: LoadSlot)
    /// Gives up on `slot`'s request (timed out): HTTP/1.1 closes the connection, HTTP/2 resets
    /// the stream and frees the slot.
    func abandon(_ slot: LoadSlot)
    /// Closes without reporting anything (the run is over).
    func close()
}
