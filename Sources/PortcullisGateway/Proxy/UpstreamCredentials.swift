import AsyncHTTPClient
import Logging
import NIOCore
import NIOSSL
internal import Prometheus
import PortcullisClientAuth
import PortcullisConfig
import PortcullisMetrics
import PortcullisTLS

/// The client credentials the gateway adds to upstream requests (`upstreamClient.auth`), one per
/// service (by `basePath`, which is unique), and the HTTP clients that call token endpoints for them.
///
/// Loading reads signing keys (problems are ``ConfigError``s naming file and line) but asks no
/// token endpoint: the first request that needs a token gets it. A reload takes over the OAuth2
/// token managers (and their tokens) whose record and TLS files did not change.
struct UpstreamCredentials: Sendable {
    /// One service's credential, with what it was built from and the clients it owns.
    private struct Entry: Sendable {
        let auth: ClientAuthConfig
        let files: [FileFingerprint]
        let credential: any OutboundCredential
        let clients: [HTTPClient]
    }

    private let byService: [String: Entry]

    static let none = UpstreamCredentials(byService: [:])

    private init(byService: [String: Entry]) {
        self.byService = byService
    }

    /// The credential of the service at `basePath`, if it has one.
    func credential(forBasePath basePath: String) -> (any OutboundCredential)? {
        self.byService[basePath]?.credential
    }

    static func load(
        config: GatewayConfig,
        metrics: PortcullisMetrics?,
        logger: Logger,
        eventLoopGroup: any EventLoopGroup,
        tokenClock: @escaping @Sendable () -> Double = TokenCache.monotonicSeconds,
        reusing previous: UpstreamCredentials? = nil
    ) async throws(ConfigError) -> UpstreamCredentials {
        var material = TLSMaterial()
        var byService: [String: Entry] = [:]
        var clients: [TokenClientKey: HTTPClient] = [:]
        for service in config.services {
            guard let auth = service.upstreamClient.auth else { continue }
            var httpClient: HTTPClient?
            var files: [FileFingerprint] = []
            if case .oauth2(let grant) = auth {
                let endpointClient = grant.endpoint.client
                let key = TokenClientKey(secureSocket: endpointClient.secureSocket, connectTimeoutSeconds: endpointClient.connectTimeoutSeconds)
                let mark = material.filesRead.count
                var tls: TLSConfiguration?
                if let secureSocket = endpointClient.secureSocket {
                    guard let built = ClientTLSConfiguration.make(secureSocket, material: &material) else { continue }
                    tls = built
                }
                files = material.filesRead(since: mark)
                // The same grant against the same files: its token manager (and token) carries over.
                if let kept = previous?.byService.values.first(where: { $0.auth == auth && $0.files == files }) {
                    byService[service.basePath] = kept
                    continue
                }
                let made =
                    clients[key]
                    ?? HTTPClient(
                        eventLoopGroupProvider: .shared(eventLoopGroup),
                        configuration: TokenEndpoint.clientConfiguration(endpointClient, tls: tls)
                    )
                clients[key] = made
                httpClient = made
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
            if let credential {
                byService[service.basePath] = Entry(auth: auth, files: files, credential: credential, clients: httpClient.map { [$0] } ?? [])
            }
        }
        let credentials = UpstreamCredentials(byService: byService)
        guard material.diagnostics.isEmpty else {
            await credentials.shutdown(keeping: previous)
            throw ConfigError(diagnostics: material.diagnostics)
        }
        return credentials
    }

    /// Closes the token-endpoint clients, except those `successor` took over.
    func shutdown(keeping successor: UpstreamCredentials? = nil) async {
        let kept = Set((successor?.byService.values.flatMap(\.clients) ?? []).map(ObjectIdentifier.init))
        var closing: [ObjectIdentifier: HTTPClient] = [:]
        for entry in self.byService.values {
            for client in entry.clients where !kept.contains(ObjectIdentifier(client)) {
                closing[ObjectIdentifier(client)] = client
            }
        }
        for client in closing.values { try? await client.shutdown() }
    }
}

/// Token endpoints with the same TLS settings and connect timeout share one client.
private struct TokenClientKey: Hashable {
    var secureSocket: ClientSecureSocketConfig?
    var connectTimeoutSeconds: Double
}
