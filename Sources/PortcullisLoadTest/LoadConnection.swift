import NIOCore
import NIOHTTP1
import PortcullisHTTP1

/// One connection of a load test: sends a class's request bytes, reads the answer with the
/// gateway's own HTTP/1 response parser, and reports to its ``LoopDriver``. Used on its loop only.
final class LoadConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    /// The request on the wire, if any.
    struct Outstanding {
        var classIndex: Int
        /// When it should have been sent (nanoseconds, `NIODeadline` scale).
        var intended: Int64
        var sent: Int64
        /// Whether it counts (intended after the warm-up).
        var measured: Bool
    }

    private unowned let driver: LoopDriver
    private var context: ChannelHandlerContext?
    private var parser = HTTP1ResponseParser()
    private var status = 0
    private(set) var outstanding: Outstanding?
    /// Reported to the driver as gone (closed by either side, or failed): nothing more is sent.
    private var gone = false

    init(driver: LoopDriver) {
        self.driver = driver
        self.parser.keepsFields = false  // the status and the framing are all it needs
    }

    var isReady: Bool { self.context != nil && self.outstanding == nil && !self.gone }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func send(_ request: ByteBuffer, _ outstanding: Outstanding) {
        guard let context else { return }
        self.outstanding = outstanding
        self.parser.expectResponse(toHEAD: false)
        context.writeAndFlush(NIOAny(request), promise: nil)
    }

    /// Closes the connection without reporting it (the driver is done with it).
    func close() {
        self.gone = true
        self.outstanding = nil
        self.context?.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.parser.append(self.unwrapInboundIn(data))
        do {
            while let event = try self.parser.next() {
                switch event {
                case .head(let head):
                    self.status = Int(head.status.code)
                case .body:
                    break
                case .end:
                    guard let done = self.outstanding else { continue }
                    self.outstanding = nil
                    let keepAlive = self.parser.keepAlive
                    if !keepAlive {
                        self.gone = true
                        context.close(promise: nil)
                    }
                    self.driver.answered(self, status: self.status, request: done, reusable: keepAlive)
                }
            }
        } catch {
            self.failed()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        guard !self.gone else { return }
        if let end = self.parser.endOfInput(), case .end = end, let done = self.outstanding {
            // A body that ends with the connection.
            self.gone = true
            self.outstanding = nil
            return self.driver.answered(self, status: self.status, request: done, reusable: false)
        }
        self.failed()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.failed()
    }

    private func failed() {
        guard !self.gone else { return }
        self.gone = true
        let lost = self.outstanding
        self.outstanding = nil
        self.context?.close(promise: nil)
        self.driver.lost(self, request: lost)
    }
}
