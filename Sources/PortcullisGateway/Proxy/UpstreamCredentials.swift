import AsyncHTTPClient
import Logging
import NIOCore
import NIOSSL
import Prometheus
import PortcullisClientAuth
import PortcullisConfig
import PortcullisMetrics
import PortcullisTLS

/// The client credentials the gateway adds to upstream requests (`upstreamClient.auth`), one per
/// service (by `basePath`, which is unique), and the HTTP clients that call token endpoints for them.
///
/// Loading reads signing keys (problems are ``ConfigError``s naming file and line) but asks no
/// token endpoint: the first request that needs a token gets it.
struct UpstreamCredentials: Sendable {
    private let byService: [String: any OutboundCredential]
    private let clients: [HTTPClient]

    static let none = UpstreamCredentials(byService: [:], clients: [])

    private init(byService: [String: any OutboundCredential], clients: [HTTPClient]) {
        self.byService = byService
        self.clients = clients
    }

    /// The credential of the service at `basePath`, if it has one.
    func credential(forBasePath basePath: String) -> (any OutboundCredential)? {
        self.byService[basePath]
    }

    static func load(
        config: GatewayConfig,
        metrics: PortcullisMetrics?,
        logger: Logger,
        eventLoopGroup: any EventLoopGroup,
        tokenClock: @escaping @Sendable () -> Double = TokenCache.monotonicSeconds
    ) async throws(ConfigError) -> UpstreamCredentials {
        var material = TLSMaterial()
        var byService: [String: any OutboundCredential] = [:]
        var clients: [TokenClientKey: HTTPClient] = [:]
        for service in config.services {
            guard let auth = service.upstreamClient.auth else { continue }
            let endpointClient: IdentityProviderClientConfig?
            if case .oauth2(let grant) = auth { endpointClient = grant.endpoint.client } else { endpointClient = nil }
            var httpClient: HTTPClient?
            if let endpointClient {
                let key = TokenClientKey(secureSocket: endpointClient.secureSocket, connectTimeoutSeconds: endpointClient.connectTimeoutSeconds)
                if let existing = clients[key] {
                    httpClient = existing
                } else {
                    var tls: TLSConfiguration?
                    if let secureSocket = endpointClient.secureSocket {
                        guard let built = ClientTLSConfiguration.make(secureSocket, material: &material) else { continue }
                        tls = built
                    }
                    let made = HTTPClient(
                        eventLoopGroupProvider: .shared(eventLoopGroup),
                        configuration: TokenEndpoint.clientConfiguration(endpointClient, tls: tls)
                    )
                    clients[key] = made
                    httpClient = made
                }
            }
            let counters = (metrics?.tokenRefreshes(service: service.name, outcome: "success"), metrics?.tokenRefreshes(service: service.name, outcome: "failure"))
            var serviceLogger = logger
            serviceLogger[metadataKey: "service"] = "\(service.name)"
            let credential = await OutboundCredentials.make(
                auth,
                client: httpClient ?? HTTPClient.shared,
                material: &material,
                metrics: metrics,
                onRenewal: { success in (success ? counters.0 : counters.1)?.increment() },
                logger: serviceLogger,
                now: tokenClock
            )
            if let credential { byService[service.basePath] = credential }
        }
        guard material.diagnostics.isEmpty else {
            for client in clients.values { try? await client.shutdown() }
            throw ConfigError(diagnostics: material.diagnostics)
        }
        return UpstreamCredentials(byService: byService, clients: Array(clients.values))
    }

    func shutdown() async {
        for client in self.clients { try? await client.shutdown() }
    }
}

/// Token endpoints with the same TLS settings and connect timeout share one client.
private struct TokenClientKey: Hashable {
    var secureSocket: ClientSecureSocketConfig?
    var connectTimeoutSeconds: Double
}
