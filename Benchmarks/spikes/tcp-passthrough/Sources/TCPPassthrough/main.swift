import NIOCore
import NIOPosix

// Usage: TCPPassthrough LISTEN_PORT UPSTREAM_PORT [EVENT_LOOPS]
// One upstream connection per client connection, made on the client's loop; bytes flow both ways,
// each side's reads held while the other side is not writable.

/// Passes what one channel reads to its partner, and holds reads while the partner is full.
final class Splice: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var context: ChannelHandlerContext?
    var partner: Splice?
    private var readPending = false
    private var pendingFlush = false

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil; self.partner = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.partner?.send(self.unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.partner?.flushIfPending()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.partner?.context?.close(promise: nil)
        self.partner = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { self.partner?.resumeRead() }
    }

    func read(context: ChannelHandlerContext) {
        // No partner yet (the upstream is connecting), or a partner that cannot take more: wait.
        guard let partnerContext = self.partner?.context, partnerContext.channel.isWritable else {
            self.readPending = true
            return
        }
        context.read()
    }

    private func send(_ buffer: ByteBuffer) {
        self.context?.write(self.wrapOutboundOut(buffer), promise: nil)
        self.pendingFlush = true
    }

    private func flushIfPending() {
        guard self.pendingFlush else { return }
        self.pendingFlush = false
        self.context?.flush()
    }

    func resumeRead() {
        guard self.readPending else { return }
        self.readPending = false
        self.context?.read()
    }
}

let arguments = CommandLine.arguments
guard arguments.count >= 3, let listenPort = Int(arguments[1]), let upstreamPort = Int(arguments[2]) else {
    fatalError("usage: TCPPassthrough LISTEN_PORT UPSTREAM_PORT [EVENT_LOOPS]")
}
let loops = arguments.count > 3 ? Int(arguments[3]) ?? System.coreCount : System.coreCount
let group = MultiThreadedEventLoopGroup(numberOfThreads: loops)
/// The client side: connects its upstream on its own loop when it becomes active.
final class ClientSplice: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let splice: Splice
    let upstreamPort: Int

    init(splice: Splice, upstreamPort: Int) {
        self.splice = splice
        self.upstreamPort = upstreamPort
    }

    func channelActive(context: ChannelHandlerContext) {
        let upstreamSplice = Splice()
        let clientSplice = NIOLoopBound(self.splice, eventLoop: context.eventLoop)
        let upstreamBound = NIOLoopBound(upstreamSplice, eventLoop: context.eventLoop)
        let client = NIOLoopBound(context.channel, eventLoop: context.eventLoop)
        ClientBootstrap(group: context.eventLoop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { upstream in
                upstream.eventLoop.makeCompletedFuture { try upstream.pipeline.syncOperations.addHandler(upstreamBound.value) }
            }
            .connect(host: "127.0.0.1", port: self.upstreamPort)
            .whenComplete { result in
                switch result {
                case .success:
                    clientSplice.value.partner = upstreamBound.value
                    upstreamBound.value.partner = clientSplice.value
                    clientSplice.value.resumeRead()
                case .failure:
                    client.value.close(promise: nil)
                }
            }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }
}

let server = try ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 8192)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { client in
        client.eventLoop.makeCompletedFuture {
            let splice = Splice()
            try client.pipeline.syncOperations.addHandlers(ClientSplice(splice: splice, upstreamPort: upstreamPort), splice)
        }
    }
    .bind(host: "127.0.0.1", port: listenPort)
    .wait()
print("tcp passthrough listening on \(listenPort) -> \(upstreamPort)")
try server.closeFuture.wait()
