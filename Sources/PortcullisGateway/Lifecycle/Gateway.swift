import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import PortcullisAuth
import PortcullisClientAuth
import PortcullisConfig
import PortcullisMetrics
import ServiceLifecycle

/// A running Portcullis gateway: the gateway listener, the metrics listener and the upstream
/// client, started and stopped together.
///
/// `Gateway` is a `Service`: run it in a `ServiceGroup`. A graceful shutdown stops accepting
/// connections, lets in-flight requests finish and then closes the upstream client.
public struct Gateway: Service {
    public let config: GatewayConfig
    public let metrics: PortcullisMetrics
    private let logger: Logger
    private let onListening: @Sendable (ListeningAddresses) async -> Void
    /// The monotonic clock OAuth2 token lifetimes are measured on (tests move it).
    package var tokenClock: @Sendable () -> Double = TokenCache.monotonicSeconds

    /// - Parameters:
    ///   - config: the validated configuration snapshot to serve.
    ///   - metrics: the series registry the metrics endpoint exposes.
    ///   - logger: the logger for start-up steps and requests.
    ///   - onListening: called once every listener is bound, with the bound ports.
    public init(
        config: GatewayConfig,
        metrics: PortcullisMetrics = PortcullisMetrics(),
        logger: Logger,
        onListening: @escaping @Sendable (ListeningAddresses) async -> Void = { _ in }
    ) {
        self.config = config
        self.metrics = metrics
        self.logger = logger
        self.onListening = onListening
    }

    /// Reads every signing key and token-endpoint certificate that `upstreamClient.auth` records
    /// name, as ``run()`` does, without contacting anything (for `portcullis check`).
    public static func checkUpstreamCredentials(config: GatewayConfig) async throws(ConfigError) {
        let credentials = try await UpstreamCredentials.load(
            config: config,
            metrics: nil,
            logger: Logger(label: "portcullis.check"),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton
        )
        await credentials.shutdown()
    }

    public func run() async throws {
        let eventLoopGroup = MultiThreadedEventLoopGroup.singleton
        // Certificates and keys are read before anything listens, so a bad file stops the start.
        let tls = try GatewayTLS(config: self.config)
        for warning in tls.warnings {
            self.logger.warning("\(warning.description)")
        }
        let engine = try await AuthEngine.load(config: self.config, metrics: self.metrics, logger: self.logger, eventLoopGroup: eventLoopGroup)
        for warning in engine.warnings {
            self.logger.warning("\(warning.description)")
        }
        if engine.fileUserStore != nil {
            self.logger.info("file user store ready", metadata: ["users": "\(self.config.users.count)"])
        }
        // One attempt each before listening (JWKS fetches, LDAP binds), so the first requests find
        // keys and connections; an unreachable provider is logged and retried, not fatal.
        await engine.start()
        if !engine.jwksSources.isEmpty {
            self.logger.info("JWKS sources started", metadata: ["sources": "\(engine.jwksSources.count)"])
        }
        let credentials: UpstreamCredentials
        do {
            credentials = try await UpstreamCredentials.load(
                config: self.config,
                metrics: self.metrics,
                logger: self.logger,
                eventLoopGroup: eventLoopGroup,
                tokenClock: self.tokenClock
            )
        } catch {
            await engine.shutdown()
            throw error
        }
        let routes = RouteTable(config: self.config, engine: engine, metrics: self.metrics, credentials: credentials)
        self.logger.info("routes ready", metadata: ["services": "\(self.config.services.count)"])
        let longestTimeout = self.config.services.map(\.upstreamClient.timeoutSeconds).max() ?? 30
        let proxy = UpstreamProxy(eventLoopGroup: eventLoopGroup, readTimeout: .milliseconds(Int64(longestTimeout * 1000)), tls: tls)
        let reporter = ListeningReporter(expectsMetrics: self.config.metrics != nil, report: self.onListening)
        let logger = self.logger

        let clientCertificates = tls.verifiesClients ? ClientCertificateRegistry() : nil
        let server: HTTPServerBuilder
        if let serverTLS = tls.server {
            server = .gatewayTLS(
                serverTLS,
                registry: clientCertificates,
                failures: TLSHandshakeFailure.Counters(metrics: self.metrics)
            )
        } else {
            server = .http1()
        }
        let scheme = tls.server == nil ? "http" : "https"
        let gatewayApp = Application(
            responder: GatewayResponder(
                routes: routes,
                proxy: proxy,
                scheme: scheme,
                clientCertificates: clientCertificates,
                unmatched: ServiceMetrics(service: ServiceConfig.unmatchedName, metrics: self.metrics)
            ),
            server: server,
            configuration: .init(address: .hostname(self.config.listener.host, port: self.config.listener.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info(
                    "gateway listening",
                    metadata: [
                        "address": "\(self.config.listener.host):\(port)", "scheme": "\(scheme)",
                        "clientCertificates": "\(self.config.listener.secureSocket?.mutualSsl?.verifyClient.rawValue ?? "none")",
                    ]
                )
                await reporter.gatewayBound(port: port)
            },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger
        )
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: gatewayApp)]
        if !engine.jwksSources.isEmpty {
            services.append(.init(service: IdentityProviderRefresh(engine: engine), successTerminationBehavior: .ignore))
        }
        if let metricsConfig = self.config.metrics {
            let metricsApp = Application(
                router: MetricsEndpoint.router(config: metricsConfig, metrics: self.metrics),
                configuration: .init(address: .hostname(metricsConfig.host, port: metricsConfig.port), serverName: nil),
                onServerRunning: { channel in
                    let port = channel.localAddress?.port ?? 0
                    logger.info("metrics listening", metadata: ["address": "\(metricsConfig.host):\(port)", "path": "\(metricsConfig.path)"])
                    await reporter.metricsBound(port: port)
                },
                eventLoopGroupProvider: .shared(eventLoopGroup),
                logger: logger
            )
            services.append(.init(service: metricsApp))
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: [],
                cancellationSignals: [],
                logger: logger
            )
        )
        do {
            try await withGracefulShutdownHandler {
                try await group.run()
            } onGracefulShutdown: {
                logger.info("graceful shutdown: draining in-flight requests")
                Task { await group.triggerGracefulShutdown() }
            }
        } catch {
            await proxy.shutdown()
            await credentials.shutdown()
            await engine.shutdown()
            throw error
        }
        await proxy.shutdown()
        await credentials.shutdown()
        await engine.shutdown()
        logger.info("gateway stopped")
    }
}

/// Runs the auth engine's identity-provider refreshes (JWKS) until the gateway shuts down.
private struct IdentityProviderRefresh: Service {
    let engine: AuthEngine

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.engine.run()
        }
    }
}
