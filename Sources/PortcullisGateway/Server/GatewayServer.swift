import NIOCore
import NIOExtras
import NIOPosix

/// Owns the gateway's listening socket: bind, serve, quiesce, close.
///
/// Accepted connections go straight to their event loop's ``ServerPipeline``; the actor is only
/// involved when the listener starts and when it drains. Draining stops accepting, asks every
/// connection to finish its current request and close (`ChannelShouldQuiesceEvent`), and
/// returns once all have closed.
actor GatewayServer {
    private enum State {
        case idle
        case listening(channel: any Channel, quiesce: ServerQuiescingHelper)
        case draining
        case closed
    }

    private var state: State = .idle
    private let group: any EventLoopGroup

    init(group: any EventLoopGroup) {
        self.group = group
    }

    /// Binds `host:port` and starts accepting; returns the bound port.
    func bind(host: String, port: Int, pipeline: ServerPipeline) async throws -> Int {
        guard case .idle = self.state else { throw ChannelError.inappropriateOperationForState }
        let quiesce = ServerQuiescingHelper(group: self.group)
        let bootstrap = ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 8192)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // NIO accepts 4 connections per wake-up by default; a burst of clients waits less.
            .serverChannelOption(.maxMessagesPerRead, value: 64)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiesce.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            // A connection keeps its receive buffer while idle: 1 KiB holds a request head with a
            // JWT, and the allocator still grows for bodies (NIO's default starts at 2 KiB, 1 KiB
            // more per idle keep-alive connection; Benchmarks/e2e/memory.sh).
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 1024, maximum: 65536))
            .childChannelInitializer { channel in pipeline.configure(channel) }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        guard case .idle = self.state else {
            try? await channel.close()
            throw ChannelError.inappropriateOperationForState
        }
        self.state = .listening(channel: channel, quiesce: quiesce)
        return channel.localAddress?.port ?? port
    }

    /// Stops accepting and waits until every connection has finished and closed.
    func drain() async {
        guard case .listening(_, let quiesce) = self.state else { return }
        self.state = .draining
        let promise = self.group.next().makePromise(of: Void.self)
        quiesce.initiateShutdown(promise: promise)
        try? await promise.futureResult.get()
        self.state = .closed
    }
}
