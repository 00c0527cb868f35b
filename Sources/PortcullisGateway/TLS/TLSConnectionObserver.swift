import Logging
import NIOCore
import NIOSSL
import NIOTLS
import PortcullisAuth

/// Sits right after the TLS handler of each listener connection: counts failed handshakes by
/// reason, and gives the connection its verified client certificate when the handshake completes
/// (parsed once per connection, read by every request on it).
///
/// Bytes pass through untouched; the handler only watches events and errors.
final class TLSConnectionObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let connection: ConnectionFacts
    private let readsClientCertificates: Bool
    private let failures: TLSHandshakeFailure.Counters
    private let logger: Logger
    private var handshakeCompleted = false
    private var failureRecorded = false

    /// - Parameters:
    ///   - connection: the connection whose certificate is recorded.
    ///   - readsClientCertificates: whether the listener asks for client certificates.
    init(connection: ConnectionFacts, readsClientCertificates: Bool, failures: TLSHandshakeFailure.Counters, logger: Logger) {
        self.connection = connection
        self.readsClientCertificates = readsClientCertificates
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

    private func recordClientCertificate(context: ChannelHandlerContext) {
        guard self.readsClientCertificates,
            let peer = try? context.pipeline.syncOperations.nioSSL_peerCertificate()
        else { return }
        do {
            // The handshake verified the chain; parsing it again only extracts names and the hash.
            self.connection.clientCertificate = try ClientCertificate(derEncoded: peer.toDERBytes())
        } catch {
            // BoringSSL accepted a certificate swift-certificates cannot parse: treat the connection
            // as having none, so mtls entries do not authenticate it.
            self.logger.notice("verified client certificate cannot be parsed; ignoring it", metadata: ["error": "\(error)"])
        }
    }
}
