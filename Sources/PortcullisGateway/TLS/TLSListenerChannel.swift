import HummingbirdCore
import HummingbirdHTTP2
import Logging
import NIOCore
import NIOSSL

/// The gateway's HTTPS child channel: Hummingbird's TLS channel with ALPN (HTTP/2 and HTTP/1.1),
/// plus a ``TLSConnectionObserver`` right after the TLS handler of every connection.
struct TLSListenerChannel: ServerChildChannel {
    typealias Value = HTTP2UpgradeChannel.Value

    let base: HTTP2UpgradeChannel
    let registry: ClientCertificateRegistry?
    let failures: TLSHandshakeFailure.Counters

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let value = self.base.setup(channel: channel, logger: logger)
        do {
            // `base.setup` has added the TLS handler synchronously (we are on the channel's loop).
            let operations = channel.pipeline.syncOperations
            let tlsHandler = try operations.handler(type: NIOSSLServerHandler.self)
            try operations.addHandler(
                TLSConnectionObserver(registry: self.registry, failures: self.failures, logger: logger),
                position: .after(tlsHandler)
            )
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return value
    }

    func handle(value: Value, logger: Logger) async {
        await self.base.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTPS with HTTP/2 and HTTP/1.1 over ALPN, observed by ``TLSConnectionObserver``.
    static func gatewayTLS(
        _ configuration: TLSConfiguration,
        registry: ClientCertificateRegistry?,
        failures: TLSHandshakeFailure.Counters
    ) -> HTTPServerBuilder {
        .init { responder in
            TLSListenerChannel(
                base: try HTTP2UpgradeChannel(tlsConfiguration: configuration, responder: responder),
                registry: registry,
                failures: failures
            )
        }
    }
}
