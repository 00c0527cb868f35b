import NIOSSL
import PortcullisMetrics
internal import Prometheus

/// Why a TLS handshake on the listener failed, as a bounded set of metric label values.
enum TLSHandshakeFailure: String, CaseIterable, Sendable {
    /// `mutualSsl` is `REQUIRE` and the client sent no certificate.
    case noClientCertificate = "no_client_certificate"
    /// The client's certificate did not verify: unknown CA, expired, not yet valid, bad signature.
    case badClientCertificate = "bad_client_certificate"
    /// The client refused the gateway's certificate (it sent an alert about it).
    case serverCertificateRejected = "server_certificate_rejected"
    /// No common protocol version or cipher suite, or not TLS at all.
    case protocolMismatch = "protocol_mismatch"
    case other

    /// Classifies an error the TLS handler raised before the handshake completed.
    init(_ error: any Error) {
        // BoringSSL's reason codes are stable identifiers inside the error's description.
        let text = String(describing: error)
        if text.contains("PEER_DID_NOT_RETURN_A_CERTIFICATE") {
            self = .noClientCertificate
        } else if text.contains("CERTIFICATE_VERIFY_FAILED") {
            self = .badClientCertificate
        } else if text.contains("ALERT_UNKNOWN_CA") || text.contains("ALERT_BAD_CERTIFICATE")
            || text.contains("ALERT_CERTIFICATE_UNKNOWN") || text.contains("ALERT_CERTIFICATE_EXPIRED")
        {
            self = .serverCertificateRejected
        } else if text.contains("UNSUPPORTED_PROTOCOL") || text.contains("NO_SHARED_CIPHER")
            || text.contains("WRONG_VERSION_NUMBER") || text.contains("PROTOCOL_VERSION") || text.contains("HTTP_REQUEST")
        {
            self = .protocolMismatch
        } else {
            self = .other
        }
    }

    /// One counter per reason, made once.
    struct Counters: Sendable {
        private let counters: [TLSHandshakeFailure: Counter]

        init(metrics: PortcullisMetrics) {
            var counters: [TLSHandshakeFailure: Counter] = [:]
            for reason in TLSHandshakeFailure.allCases {
                counters[reason] = metrics.tlsHandshakeFailures(reason: reason.rawValue)
            }
            self.counters = counters
        }

        func record(_ reason: TLSHandshakeFailure) {
            self.counters[reason]?.increment()
        }
    }
}
