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
///
/// What a connection is served with (the TLS context, routes, limits) is read from its loop's
/// installed ``GatewayRuntime`` when it is accepted, so a reload reaches new connections at once.
struct ServerPipeline: Sendable {
    /// Each event loop's runtime, by `ObjectIdentifier` of the loop.
    let loops: [ObjectIdentifier: LoopRuntime]
    let failures: TLSHandshakeFailure.Counters

    func configure(_ channel: any Channel) -> EventLoopFuture<Void> {
        guard let loop = self.loops[ObjectIdentifier(channel.eventLoop)] else {
            return channel.eventLoop.makeFailedFuture(ChannelError.inappropriateOperationForState)
        }
        let gateway = loop.gateway
        let connection = ConnectionFacts(scheme: gateway.tls == nil ? "http" : "https", clientAddress: channel.remoteAddress?.ipAddress)
        @Sendable func http1(_ channel: any Channel) throws {
            // Client-bound headers need no second validation: fixed answers are built from the
            // config at load, proxied ones were parsed (and so validated) from the upstream.
            // NIO's NIOHTTPResponseHeadersValidator was 12% of the answer-here path in perf.
            try HTTPConnectionHandler.addHTTP1Handlers(to: channel.pipeline.syncOperations, loop: loop, connection: connection)
        }
        guard let tls = gateway.tls else {
            return channel.eventLoop.makeCompletedFuture {
                // A client that shuts its side after its last request still gets its answers.
                try channel.syncOptions?.setOption(.allowRemoteHalfClosure, value: true)
                try http1(channel)
            }
        }
        do {
            // As for plain HTTP: a client that shuts its side after its last request (a FIN, or
            // TLS close_notify) still gets its answers; an HTTP/2 connection closes (see
            // InputClosedCloser).
            try channel.syncOptions?.setOption(.allowRemoteHalfClosure, value: true)
            let sync = channel.pipeline.syncOperations
            try sync.addHandler(NIOSSLServerHandler(context: tls))
            try sync.addHandler(
                TLSConnectionObserver(
                    connection: connection,
                    readsClientCertificates: gateway.readsClientCertificates,
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
                                HTTPConnectionHandler(loop: loop, connection: connection)
                            )
                        }
                    }
                    try sync.addHandler(manager)
                    try sync.addHandler(InputClosedCloser())
                }
            },
            http1ChannelConfigurator: { channel in
                channel.eventLoop.makeCompletedFuture { try http1(channel) }
            }
        )
    }
}
