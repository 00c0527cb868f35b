import NIOCore
import NIOHPACK
import NIOHTTP2

/// One HTTP/2 connection of a load test, with `streams` slots: each request is a stream of its
/// own, opened with one HEADERS frame (END_STREAM) and answered by HEADERS and DATA frames.
///
/// It sits behind `NIOHTTP2Handler` and speaks frames directly rather than through a stream
/// multiplexer: a child channel per request is machinery a load generator does not need. So it
/// numbers its streams itself and gives back flow-control credit (connection and stream
/// windows) for the DATA it reads. Used on its loop only.
final class HTTP2LoadConnection: ChannelInboundHandler, LoadClientConnection {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private unowned let driver: LoopDriver
    private var context: ChannelHandlerContext?
    private(set) var slots: [LoadSlot] = []
    /// The stream each busy slot's request is on, and the status read so far.
    private var open: [HTTP2StreamID: (slot: LoadSlot, status: Int)] = [:]
    private var nextStreamID = 1
    /// DATA bytes read and not yet given back as connection-window credit.
    private var unacknowledged = 0
    private var gone = false

    /// Credit is given back in batches of this much (half the default 65,535-byte window).
    private static let windowBatch = 32_768

    init(driver: LoopDriver, streams: Int) {
        self.driver = driver
        self.slots = (0..<max(1, streams)).map { _ in LoadSlot(connection: self) }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func send(_ request: LoadRequest, on slot: LoadSlot) {
        guard let context, case .http2(let headers) = request else { return }
        guard self.nextStreamID < Int(Int32.max) - 2 else {
            // Stream identifiers used up (RFC 9113 §5.1.1): the connection is replaced.
            return self.failed()
        }
        let streamID = HTTP2StreamID(self.nextStreamID)
        self.nextStreamID += 2
        self.open[streamID] = (slot, 0)
        context.writeAndFlush(self.wrapOutboundOut(HTTP2Frame(streamID: streamID, payload: .headers(.init(headers: headers, endStream: true)))), promise: nil)
    }

    func abandon(_ slot: LoadSlot) {
        slot.outstanding = nil
        guard let context, let streamID = self.open.first(where: { $0.value.slot === slot })?.key else { return }
        self.open[streamID] = nil
        context.writeAndFlush(self.wrapOutboundOut(HTTP2Frame(streamID: streamID, payload: .rstStream(.cancel))), promise: nil)
        self.driver.freed(slot)
    }

    func close() {
        self.gone = true
        for slot in self.slots { slot.outstanding = nil }
        self.open.removeAll()
        self.context?.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        switch frame.payload {
        case .headers(let headers):
            guard var stream = self.open[frame.streamID] else { return }
            if let status = headers.headers.first(name: ":status").flatMap({ Int($0) }) {
                // Informational (1xx) heads come before the final one.
                guard status >= 200 || headers.endStream else { return }
                stream.status = status
                self.open[frame.streamID] = stream
            }
            if headers.endStream { self.complete(frame.streamID) }
        case .data(let payload):
            let length = payload.data.readableBytes
            self.unacknowledged += length
            if self.unacknowledged >= Self.windowBatch {
                context.write(self.wrapOutboundOut(HTTP2Frame(streamID: .rootStream, payload: .windowUpdate(windowSizeIncrement: self.unacknowledged))), promise: nil)
                self.unacknowledged = 0
            }
            if payload.endStream {
                self.complete(frame.streamID)
            } else if length > 0, self.open[frame.streamID] != nil {
                // A long body keeps its stream window open too.
                context.write(self.wrapOutboundOut(HTTP2Frame(streamID: frame.streamID, payload: .windowUpdate(windowSizeIncrement: length))), promise: nil)
            }
        case .rstStream:
            guard let stream = self.open.removeValue(forKey: frame.streamID) else { return }
            let lost = stream.slot.outstanding
            stream.slot.outstanding = nil
            self.driver.requestFailed(stream.slot, request: lost)
        case .goAway:
            // No new streams; the ones in flight are lost with the connection.
            self.failed()
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    private func complete(_ streamID: HTTP2StreamID) {
        guard let stream = self.open.removeValue(forKey: streamID), let done = stream.slot.outstanding else { return }
        stream.slot.outstanding = nil
        self.driver.answered(stream.slot, status: stream.status, request: done, reusable: !self.gone)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.failed()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.failed()
    }

    /// Reports the connection lost (with every request it carried) and closes it.
    private func failed() {
        guard !self.gone else { return }
        self.gone = true
        self.open.removeAll()
        self.context?.close(promise: nil)
        self.driver.connectionGone(self)
    }
}
