import Logging
import NIOCore
import NIOSSL
import NIOTLS
import PortcullisAuth

/// Sits right after the TLS handler of each listener connection: counts failed handshakes by
/// reason, and records the verified client certificate when a handshake completes.
///
/// Bytes pass through untouched; the handler only watches events and errors.
final class TLSConnectionObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let registry: ClientCertificateRegistry?
    private let failures: TLSHandshakeFailure.Counters
    private let logger: Logger
    private var handshakeCompleted = false
    private var failureRecorded = false
    private var registered: ObjectIdentifier?

    /// - Parameter registry: where verified client certificates go; `nil` when the listener does
    ///   not ask for them.
    init(registry: ClientCertificateRegistry?, failures: TLSHandshakeFailure.Counters, logger: Logger) {
        self.registry = registry
        self.failures = failures
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tlsEvent = event as? TLSUserEvent, case .handshakeCompleted = tlsEvent {
            self.handshakeCompleted = true
            self.recordClientCertificate(context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !self.handshakeCompleted && !self.failureRecorded {
            self.failureRecorded = true
            let reason = TLSHandshakeFailure(error)
            self.failures.record(reason)
            self.logger.debug(
                "TLS handshake failed",
                metadata: ["reason": "\(reason.rawValue)", "peer": "\(context.channel.remoteAddress?.description ?? "?")", "error": "\(error)"]
            )
        }
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let registered {
            self.registry?.remove(registered)
            self.registered = nil
        }
        context.fireChannelInactive()
    }

    private func recordClientCertificate(context: ChannelHandlerContext) {
        guard let registry = self.registry,
            let peer = try? context.pipeline.syncOperations.nioSSL_peerCertificate()
        else { return }
        do {
            // The handshake verified the chain; parsing it again only extracts names and the hash.
            let certificate = try ClientCertificate(derEncoded: peer.toDERBytes())
            let connection = ObjectIdentifier(context.channel)
            registry.store(certificate, for: connection)
            self.registered = connection
        } catch {
            // BoringSSL accepted a certificate swift-certificates cannot parse: treat the connection
            // as having none, so mtls entries do not authenticate it.
            self.logger.notice("verified client certificate cannot be parsed; ignoring it", metadata: ["error": "\(error)"])
        }
    }
}
