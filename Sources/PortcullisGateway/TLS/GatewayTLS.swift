import NIOCore
import NIOSSL
import PortcullisConfig
import PortcullisTLS

/// The TLS settings of a configuration, loaded and checked: the listener's server configuration and
/// one client configuration per distinct outbound `secureSocket`.
///
/// Loading reads every certificate, key and store the config names and reports each problem as a
/// ``ConfigDiagnostic`` (file, line, key path), so `portcullis check` and `portcullis serve` refuse
/// a bad certificate the same way they refuse a bad key in the TOML.
public struct GatewayTLS: Sendable {
    static var shutdownTimeout: TimeAmount { ClientTLSConfiguration.shutdownTimeout }

    /// The listener's configuration; `nil` when it serves plain HTTP.
    public let server: TLSConfiguration?
    /// Whether the listener asks for client certificates.
    public let verifiesClients: Bool
    /// The listener's context, with ALPN for HTTP/2 and HTTP/1.1; `nil` for plain HTTP.
    let serverContext: NIOSSLContext?
    /// Outbound configurations by the settings they were built from.
    let clients: [ClientSecureSocketConfig: TLSConfiguration]
    /// The files each outbound configuration was read from, with their digests.
    let clientFiles: [ClientSecureSocketConfig: [FileFingerprint]]
    /// Things to tell the operator at start (an expired CA, for example).
    public let warnings: [ConfigDiagnostic]

    /// Loads every TLS file `config` names.
    ///
    /// - Throws: ``ConfigError`` with one diagnostic per problem found, in config order.
    public init(config: GatewayConfig) throws(ConfigError) {
        var material = TLSMaterial()
        var server: TLSConfiguration?
        if let secureSocket = config.listener.secureSocket {
            server = Self.serverConfiguration(secureSocket, material: &material)
        }
        var clients: [ClientSecureSocketConfig: TLSConfiguration] = [:]
        var clientFiles: [ClientSecureSocketConfig: [FileFingerprint]] = [:]
        for service in config.services {
            guard let secureSocket = service.upstreamClient.secureSocket, clients[secureSocket] == nil else { continue }
            let mark = material.filesRead.count
            if let client = ClientTLSConfiguration.make(secureSocket, material: &material) {
                clients[secureSocket] = client
                clientFiles[secureSocket] = material.filesRead(since: mark)
            }
        }
        guard material.diagnostics.isEmpty else {
            throw ConfigError(diagnostics: material.diagnostics)
        }
        if var configuration = server {
            configuration.applicationProtocols = ["h2", "http/1.1"]
            do {
                self.serverContext = try NIOSSLContext(configuration: configuration)
            } catch {
                let location = config.listener.secureSocket?.keyLocation ?? ConfigLocation.unknown(["listener", "secureSocket"])
                throw ConfigError(diagnostics: [location.diagnostic("the TLS settings cannot be used: \(error)")])
            }
        } else {
            self.serverContext = nil
        }
        self.server = server
        self.verifiesClients = config.listener.secureSocket?.mutualSsl != nil
        self.clients = clients
        self.clientFiles = clientFiles
        self.warnings = material.warnings
    }

    /// The client configuration for an outbound `secureSocket`; `nil` for the default (system roots).
    func client(for settings: ClientSecureSocketConfig?) -> TLSConfiguration? {
        settings.flatMap { self.clients[$0] }
    }

    private static func serverConfiguration(_ settings: ListenerSecureSocketConfig, material: inout TLSMaterial) -> TLSConfiguration? {
        let keyLocation = settings.keyLocation ?? ConfigLocation.unknown(["listener", "secureSocket", "key"])
        let identity = material.identity(settings.key, at: keyLocation)
        var trustRoots: [NIOSSLCertificate]?
        if let mutualSsl = settings.mutualSsl {
            let certLocation = mutualSsl.certLocation ?? ConfigLocation.unknown(["listener", "secureSocket", "mutualSsl", "cert"])
            trustRoots = material.trustRoots(mutualSsl.cert, at: certLocation)
            if trustRoots == nil { return nil }
        }
        guard let identity else { return nil }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: identity.chain.map { .certificate($0) },
            privateKey: .privateKey(identity.key)
        )
        configuration.minimumTLSVersion = settings.versions.min().map(Self.niosslVersion) ?? .tlsv12
        configuration.maximumTLSVersion = settings.versions.max().map(Self.niosslVersion) ?? .tlsv13
        if let ciphers = settings.ciphers {
            configuration.cipherSuites = ciphers.joined(separator: ":")
        }
        configuration.shutdownTimeout = Self.shutdownTimeout
        if let mutualSsl = settings.mutualSsl, let trustRoots {
            // Only the configured CAs, never the system roots.
            configuration.trustRoots = .certificates(trustRoots)
            configuration.additionalTrustRoots = []
            configuration.sendCANameList = true
            configuration.certificateVerification =
                mutualSsl.verifyClient == .require ? .noHostnameVerification : .optionalVerification
        } else {
            configuration.certificateVerification = .none
        }
        return configuration
    }

    private static func niosslVersion(_ version: PortcullisConfig.TLSVersion) -> NIOSSL.TLSVersion {
        switch version {
        case .tls12: .tlsv12
        case .tls13: .tlsv13
        }
    }
}
