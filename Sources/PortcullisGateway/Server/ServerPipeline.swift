import Logging
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOSSL

/// Builds the pipeline of every accepted connection, on its own event loop:
///
/// ```
/// plain:  HTTPResponseEncoder, HTTPRequestDecoder, HTTPServerPipelineHandler,
///         HTTPServerProtocolErrorHandler, HTTPConnectionHandler
/// TLS:    NIOSSLServerHandler, TLSConnectionObserver, ALPN ─┬─ http/1.1: as plain
///                                                         └─ h2: NIOHTTP2Handler, NIOHTTP2Server-
///                                                              ConnectionManagementHandler ─► per stream:
///                                                              HTTP2FramePayloadToHTTP1ServerCodec,
///                                                              HTTPConnectionHandler
/// ```
struct ServerPipeline: Sendable {
    let gateway: GatewayRuntime
    /// Each event loop's runtime, by `ObjectIdentifier` of the loop.
    let loops: [ObjectIdentifier: LoopRuntime]
    /// The listener's TLS context (ALPN `h2`, `http/1.1`); `nil` for plain HTTP.
    let tls: NIOSSLContext?
    let readsClientCertificates: Bool
    let failures: TLSHandshakeFailure.Counters

    func configure(_ channel: any Channel) -> EventLoopFuture<Void> {
        guard let loop = self.loops[ObjectIdentifier(channel.eventLoop)] else {
            return channel.eventLoop.makeFailedFuture(ChannelError.inappropriateOperationForState)
        }
        let connection = ConnectionFacts(scheme: self.tls == nil ? "http" : "https", clientAddress: channel.remoteAddress?.ipAddress)
        let gateway = self.gateway
        guard let tls = self.tls else {
            return channel.eventLoop.makeCompletedFuture {
                let sync = channel.pipeline.syncOperations
                try sync.configureHTTPServerPipeline(withErrorHandling: true)
                try sync.addHandler(HTTPConnectionHandler(gateway: gateway, loop: loop, connection: connection))
            }
        }
        do {
            let sync = channel.pipeline.syncOperations
            try sync.addHandler(NIOSSLServerHandler(context: tls))
            try sync.addHandler(
                TLSConnectionObserver(
                    connection: connection,
                    readsClientCertificates: self.readsClientCertificates,
                    failures: self.failures,
                    logger: gateway.logger
                )
            )
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        // HTTP/2 connections: idle timeout, and on quiescing a GOAWAY, then close once the open
        // streams have finished (HTTP/1 connections get both from the connection handler and
        // HTTPServerPipelineHandler).
        let manager = NIOLoopBound(
            NIOHTTP2ServerConnectionManagementHandler(
                eventLoop: channel.eventLoop,
                configuration: .init(maxIdleTime: gateway.idleTimeout, maxAge: nil, maxGraceTime: nil, keepalive: nil)
            ),
            eventLoop: channel.eventLoop
        )
        return channel.configureCommonHTTPServerPipeline(
            connectionConfiguration: .init(),
            streamConfiguration: .init(),
            streamDelegate: manager.value.http2StreamDelegate,
            h2ConnectionChannelConfigurator: { h2Channel in
                h2Channel.eventLoop.makeCompletedFuture {
                    try h2Channel.pipeline.syncOperations.addHandler(manager.value)
                }
            },
            configurator: { requestChannel in
                // The connection itself for HTTP/1.1, a stream channel (same loop) for HTTP/2.
                requestChannel.eventLoop.makeCompletedFuture {
                    if requestChannel !== channel { connection.isHTTP2 = true }
                    try requestChannel.pipeline.syncOperations.addHandler(
                        HTTPConnectionHandler(gateway: gateway, loop: loop, connection: connection)
                    )
                }
            }
        )
    }
}
