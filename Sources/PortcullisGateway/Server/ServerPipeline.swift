import Logging
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOSSL

/// Builds the pipeline of every accepted connection, on its own event loop:
///
/// ```
/// plain:  HTTPRequestDecoder, HTTPConnectionHandler (which writes response bytes itself)
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
        @Sendable func http1(_ channel: any Channel) throws {
            // Client-bound headers need no second validation: fixed answers are built from the
            // config at load, proxied ones were parsed (and so validated) from the upstream.
            // NIO's NIOHTTPResponseHeadersValidator was 12% of the answer-here path in perf.
            try HTTPConnectionHandler.addHTTP1Handlers(to: channel.pipeline.syncOperations, gateway: gateway, loop: loop, connection: connection)
        }
        guard let tls = self.tls else {
            return channel.eventLoop.makeCompletedFuture {
                // A client that shuts its side after its last request still gets its answers.
                try channel.syncOptions?.setOption(.allowRemoteHalfClosure, value: true)
                try http1(channel)
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
        return channel.configureHTTP2SecureUpgrade(
            h2ChannelConfigurator: { channel in
                channel.eventLoop.makeCompletedFuture {
                    connection.isHTTP2 = true
                    // Idle timeout, and on drain a GOAWAY, then close once open streams finish
                    // (HTTP/1 connections get both from HTTPConnectionHandler).
                    let manager = NIOHTTP2ServerConnectionManagementHandler(
                        eventLoop: channel.eventLoop,
                        configuration: .init(maxIdleTime: gateway.idleTimeout, maxAge: nil, maxGraceTime: nil, keepalive: nil)
                    )
                    let sync = channel.pipeline.syncOperations
                    _ = try sync.configureHTTP2Pipeline(
                        mode: .server,
                        connectionConfiguration: .init(),
                        streamConfiguration: .init(),
                        streamDelegate: manager.http2StreamDelegate
                    ) { stream in
                        // Each stream: on the connection's loop, one request.
                        stream.eventLoop.makeCompletedFuture {
                            try stream.pipeline.syncOperations.addHandlers(
                                HTTP2FramePayloadToHTTP1ServerCodec(),
                                HTTPConnectionHandler(gateway: gateway, loop: loop, connection: connection)
                            )
                        }
                    }
                    try sync.addHandler(manager)
                }
            },
            http1ChannelConfigurator: { channel in
                channel.eventLoop.makeCompletedFuture { try http1(channel) }
            }
        )
    }
}
