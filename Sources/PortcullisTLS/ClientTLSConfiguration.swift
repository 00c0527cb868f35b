import NIOCore
import NIOSSL
import PortcullisConfig

/// Builds the NIOSSL client configuration of one ``ClientSecureSocketConfig``: an upstream's, a
/// JWKS endpoint's or an introspection endpoint's, all the same way.
package enum ClientTLSConfiguration {
    /// How long a closing TLS connection waits for the peer's `close_notify`. swift-nio-ssl's
    /// default of 5 s would hold a graceful shutdown open for that long per idle peer.
    package static let shutdownTimeout: TimeAmount = .milliseconds(500)

    /// The configuration, or `nil` after recording in `material` why a file could not be used.
    package static func make(_ settings: ClientSecureSocketConfig, material: inout TLSMaterial) -> TLSConfiguration? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.shutdownTimeout = Self.shutdownTimeout
        var valid = true
        if settings.disable {
            configuration.certificateVerification = .none
        } else if let cert = settings.cert {
            let location = settings.certLocation ?? ConfigLocation.unknown(["secureSocket", "cert"])
            if let roots = material.trustRoots(cert, at: location) {
                configuration.trustRoots = .certificates(roots)
            } else {
                valid = false
            }
        }
        if let key = settings.key {
            let location = settings.keyLocation ?? ConfigLocation.unknown(["secureSocket", "key"])
            if let identity = material.identity(key, at: location) {
                configuration.certificateChain = identity.chain.map { .certificate($0) }
                configuration.privateKey = .privateKey(identity.key)
            } else {
                valid = false
            }
        }
        return valid ? configuration : nil
    }
}

extension ConfigLocation {
    /// A location for values built in code rather than read from a file.
    package static func unknown(_ keys: [String]) -> ConfigLocation {
        ConfigLocation(file: "(config)", line: 0, path: ConfigPath(keys.map { .key($0) }))
    }
}
