import NIOCore
import NIOHTTP1
import PortcullisHTTP1

/// One HTTP/1.1 connection of a load test (one slot): sends a class's request bytes, reads the
/// answer with the gateway's own HTTP/1 response parser, and reports to its ``LoopDriver``.
/// Used on its loop only.
final class LoadConnection: ChannelInboundHandler, LoadClientConnection {
    typealias InboundIn = ByteBuffer

    private unowned let driver: LoopDriver
    private var context: ChannelHandlerContext?
    private var parser = HTTP1ResponseParser()
    private var status = 0
    private(set) var slots: [LoadSlot] = []
    /// Reported to the driver as gone (closed by either side, or failed): nothing more is sent.
    private var gone = false

    init(driver: LoopDriver) {
        self.driver = driver
        // The status and the framing are all it needs: no body slices.
        self.parser.deliversBody = false
        self.slots = [LoadSlot(connection: self)]
    }

    private var slot: LoadSlot { self.slots[0] }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func send(_ request: LoadRequest, on slot: LoadSlot) {
        guard let context, case .http1(let bytes) = request else { return }
        self.parser.expectResponse(toHEAD: false)
        context.writeAndFlush(NIOAny(bytes), promise: nil)
    }

    func abandon(_ slot: LoadSlot) {
        // An HTTP/1.1 answer cannot be skipped: the connection goes.
        self.slot.outstanding = nil
        self.failed()
    }

    func close() {
        self.gone = true
        self.slot.outstanding = nil
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
                    guard let done = self.slot.outstanding else { continue }
                    self.slot.outstanding = nil
                    let keepAlive = self.parser.keepAlive
                    self.driver.answered(self.slot, status: self.status, request: done, reusable: keepAlive)
                    if !keepAlive {
                        self.gone = true
                        context.close(promise: nil)
                        self.driver.connectionGone(self)
                    }
                }
            }
        } catch {
            self.failed()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        guard !self.gone else { return }
        if let end = self.parser.endOfInput(), case .end = end, let done = self.slot.outstanding {
            // A body that ends with the connection.
            self.gone = true
            self.slot.outstanding = nil
            self.driver.answered(self.slot, status: self.status, request: done, reusable: false)
            return self.driver.connectionGone(self)
        }
        self.failed()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.failed()
    }

    /// Reports the connection lost (with the request it carried, if any) and closes it.
    private func failed() {
        guard !self.gone else { return }
        self.gone = true
        self.context?.close(promise: nil)
        self.driver.connectionGone(self)
    }
}
