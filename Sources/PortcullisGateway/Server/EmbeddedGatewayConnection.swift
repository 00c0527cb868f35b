import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import PortcullisAuth
import PortcullisConfig
import PortcullisMetrics

/// One gateway connection without a socket, for benchmarks: the gateway's HTTP/1 server pipeline
/// (NIO's request decoder and ``HTTPConnectionHandler``) on an `EmbeddedChannel`, fed request bytes, read for
/// response bytes. Measures what a request costs the gateway itself (codec, routing, policy,
/// answer), allocations included, away from the kernel and the load generator.
@_spi(Benchmarks) public final class EmbeddedGatewayConnection {
    /// The channel, for tests that look at its state (closed after `Connection: close`, ...).
    public let channel: EmbeddedChannel

    /// A connection to a gateway running `config`'s routes (answer-here and refusal paths; no
    /// upstream pools).
    public init(config: GatewayConfig, metrics: PortcullisMetrics, logger: Logger? = nil) async throws {
        let engine = try await AuthEngine.load(config: config, metrics: metrics)
        await engine.start()
        let channel = EmbeddedChannel()
        let loop = LoopRuntime(eventLoop: channel.embeddedEventLoop, index: 0, upstreams: [:])
        let logger = logger ?? {
            var logger = Logger(label: "portcullis.benchmark")
            logger.logLevel = .critical
            return logger
        }()
        let gateway = GatewayRuntime(
            routes: RouteTable(config: config, engine: engine, metrics: metrics),
            unmatched: metrics.service(ServiceConfig.unmatchedName),
            logger: logger,
            requestHeaderTimeout: .seconds(30),
            idleTimeout: .seconds(60)
        )
        try HTTPConnectionHandler.addHTTP1Handlers(
            to: channel.pipeline.syncOperations,
            gateway: gateway,
            loop: loop,
            connection: ConnectionFacts(scheme: "http", clientAddress: "192.0.2.1")
        )
        try await channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 1234)).get()
        self.channel = channel
    }

    /// Sends `request` (one or more whole requests) and returns the number of response bytes written.
    public func exchange(_ request: ByteBuffer) throws -> Int {
        try self.channel.writeInbound(request)
        var written = 0
        while let data = try self.channel.readOutbound(as: IOData.self) {
            written += data.readableBytes
        }
        return written
    }

    /// Sends `request` and returns the response bytes as text.
    public func exchange(_ request: String) throws -> String {
        try self.channel.writeInbound(ByteBuffer(string: request))
        var output = ""
        while let data = try self.channel.readOutbound(as: IOData.self) {
            if case .byteBuffer(let bytes) = data { output += String(buffer: bytes) }
        }
        return output
    }
}
