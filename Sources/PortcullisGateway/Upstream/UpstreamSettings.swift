import NIOCore
import NIOSSL
import PortcullisConfig
import PortcullisTLS

/// The pool settings of every distinct upstream a config names, with one TLS context per
/// distinct `secureSocket` (contexts are shared by the pools of every loop).
enum UpstreamSettings {
    static func make(config: GatewayConfig, tls: GatewayTLS) throws(ConfigError) -> [UpstreamKey: UpstreamPool.Settings] {
        var contexts: [ClientSecureSocketConfig?: NIOSSLContext] = [:]
        var settings: [UpstreamKey: UpstreamPool.Settings] = [:]
        for (index, service) in config.services.enumerated() {
            guard let url = service.upstream else { continue }
            let key = UpstreamKey(url: url, secureSocket: service.upstreamClient.secureSocket)
            let connectTimeout = TimeAmount.nanoseconds(Int64(service.upstreamClient.connectTimeoutSeconds * 1e9))
            if var existing = settings[key] {
                // Services sharing an upstream share its pools; the longest connect timeout wins.
                existing.connectTimeout = max(existing.connectTimeout, connectTimeout)
                settings[key] = existing
                continue
            }
            var context: NIOSSLContext?
            if url.scheme == "https" {
                if let cached = contexts[key.secureSocket] {
                    context = cached
                } else {
                    var configuration = tls.client(for: key.secureSocket) ?? TLSConfiguration.makeClientConfiguration()
                    configuration.shutdownTimeout = GatewayTLS.shutdownTimeout
                    configuration.applicationProtocols = ["http/1.1"]
                    do {
                        context = try NIOSSLContext(configuration: configuration)
                    } catch {
                        let location = ConfigLocation.unknown(["service", "\(index)", "upstreamClient", "secureSocket"])
                        throw ConfigError(diagnostics: [location.diagnostic("the TLS settings cannot be used: \(error)")])
                    }
                    contexts[key.secureSocket] = context
                }
            }
            var pool = UpstreamPool.Settings(
                host: url.host,
                port: url.port,
                tls: context,
                serverHostname: context == nil || Self.isIPAddress(url.host) ? nil : url.host,
                connectTimeout: connectTimeout
            )
            if context != nil, let secureSocket = key.secureSocket {
                pool.tlsFiles = tls.clientFiles[secureSocket] ?? []
            }
            settings[key] = pool
        }
        return settings
    }

    private static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}
