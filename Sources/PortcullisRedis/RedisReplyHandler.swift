import DequeModule
import NIOCore

/// The channel handler of one connection to Redis: matches the replies it reads, in order, to
/// the commands written before them, and closes the connection when one is late or the bytes are
/// not RESP (its framing is lost then).
///
/// - Important: Used on its channel's event loop only.
final class RedisReplyHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private struct Outstanding {
        let promise: EventLoopPromise<RESPValue>
        let deadline: NIODeadline
    }

    private let parser: RESPParser
    private let timeout: TimeAmount
    private var outstanding: Deque<Outstanding> = []
    private var received: ByteBuffer?
    private var context: ChannelHandlerContext?
    private var timer: Scheduled<Void>?
    /// Why the connection closed, for the commands still waiting then.
    private var closeReason: RedisClientError = .connectionClosed
    /// Called once the connection has closed.
    private let onClose: () -> Void

    init(parser: RESPParser = RESPParser(), timeout: TimeAmount, onClose: @escaping () -> Void) {
        self.parser = parser
        self.timeout = timeout
        self.onClose = onClose
    }

    /// Writes `command`; its reply (or failure) completes `promise`.
    func send(_ command: RESPCommand, promise: EventLoopPromise<RESPValue>) {
        guard let context else {
            return promise.fail(RedisClientError.connectionClosed)
        }
        var buffer = context.channel.allocator.buffer(capacity: 64)
        command.write(into: &buffer)
        self.outstanding.append(Outstanding(promise: promise, deadline: .now() + self.timeout))
        if self.timer == nil {
            self.armTimer(at: .now() + self.timeout)
        }
        context.writeAndFlush(NIOAny(buffer), promise: nil)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        if self.received == nil || self.received?.readableBytes == 0 {
            self.received = bytes
        } else {
            self.received?.writeBuffer(&bytes)
        }
        guard var received = self.received else { return }
        self.received = nil
        defer {
            if received.readableBytes > 0 {
                received.discardReadBytes()
                self.received = received
            }
        }
        do {
            while let reply = try self.parser.next(from: &received) {
                guard let waiting = self.outstanding.popFirst() else {
                    // A reply nobody asked for: the stream is not what this client wrote.
                    return self.close(.unsolicitedReply, context: context)
                }
                waiting.promise.succeed(reply)
            }
        } catch {
            received.clear()
            self.close(.protocolError(error), context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
        let failed = self.outstanding
        self.outstanding.removeAll()
        for waiting in failed {
            waiting.promise.fail(self.closeReason)
        }
        self.context = nil
        self.onClose()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.close(.connectionClosed, context: context)
    }

    private func close(_ reason: RedisClientError, context: ChannelHandlerContext) {
        self.closeReason = reason
        context.close(promise: nil)
    }

    /// One timer per connection, not per command: it fires at the oldest command's deadline.
    private func armTimer(at deadline: NIODeadline) {
        guard let context else { return }
        let loop = context.eventLoop
        self.timer = loop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            self.timer = nil
            guard let context = self.context, let oldest = self.outstanding.first else { return }
            if oldest.deadline <= .now() {
                // A server this late is not to be waited for: every command fails now (the
                // caller decides without it), and the next one reconnects.
                self.close(.timeout, context: context)
            } else {
                self.armTimer(at: oldest.deadline)
            }
        }
    }
}
