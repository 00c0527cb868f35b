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
/// pools, started and stopped together.
///
/// `Gateway` is a `Service`: run it in a `ServiceGroup`. A graceful shutdown stops accepting
/// connections, lets in-flight requests finish and then closes the upstream connections.
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
        // Certificates and keys are read before anything listens, so a bad file stops the start.
        let tls = try GatewayTLS(config: self.config)
        for warning in tls.warnings {
            self.logger.warning("\(warning.description)")
        }
        let upstreams = try UpstreamSettings.make(config: self.config, tls: tls)
        // Identity-provider clients (JWKS, introspection, token endpoints) stay on NIO's shared
        // group; the listener and the upstream pools get loops of their own.
        let idpGroup = MultiThreadedEventLoopGroup.singleton
        let engine = try await AuthEngine.load(config: self.config, metrics: self.metrics, logger: self.logger, eventLoopGroup: idpGroup)
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
                eventLoopGroup: idpGroup,
                tokenClock: self.tokenClock
            )
        } catch {
            await engine.shutdown()
            throw error
        }
        let listener = self.config.listener
        let loopCount = listener.eventLoops ?? System.coreCount
        let routes = RouteTable(config: self.config, engine: engine, metrics: self.metrics, credentials: credentials, shards: loopCount)
        self.logger.info("routes ready", metadata: ["services": "\(self.config.services.count)"])

        let group = MultiThreadedEventLoopGroup(numberOfThreads: loopCount)
        var loops: [ObjectIdentifier: LoopRuntime] = [:]
        for (index, eventLoop) in group.makeIterator().enumerated() {
            let loop = LoopRuntime(eventLoop: eventLoop, index: index, upstreams: upstreams)
            loop.start()
            loops[ObjectIdentifier(eventLoop)] = loop
        }
        let pipeline = ServerPipeline(
            gateway: GatewayRuntime(
                routes: routes,
                unmatched: self.metrics.service(ServiceConfig.unmatchedName, shards: loopCount),
                logger: self.logger,
                requestHeaderTimeout: .nanoseconds(Int64(listener.requestHeaderTimeoutSeconds * 1e9)),
                idleTimeout: .nanoseconds(Int64(listener.idleTimeoutSeconds * 1e9))
            ),
            loops: loops,
            tls: tls.serverContext,
            readsClientCertificates: tls.verifiesClients,
            failures: TLSHandshakeFailure.Counters(metrics: self.metrics)
        )
        let reporter = ListeningReporter(expectsMetrics: self.config.metrics != nil, report: self.onListening)
        let readiness = Readiness(jwksSources: engine.jwksSources)
        let logger = self.logger
        let server = GatewayServer(group: group)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(
                service: ListenerService(server: server, pipeline: pipeline, listener: listener, reporter: reporter, readiness: readiness, logger: logger)
            )
        ]
        if !engine.jwksSources.isEmpty {
            services.append(.init(service: IdentityProviderRefresh(engine: engine), successTerminationBehavior: .ignore))
        }
        if let metricsConfig = self.config.metrics {
            let metricsApp = Application(
                router: MetricsEndpoint.router(config: metricsConfig, metrics: self.metrics, readiness: readiness),
                configuration: .init(address: .hostname(metricsConfig.host, port: metricsConfig.port), serverName: nil),
                onServerRunning: { channel in
                    let port = channel.localAddress?.port ?? 0
                    logger.info("metrics listening", metadata: ["address": "\(metricsConfig.host):\(port)", "path": "\(metricsConfig.path)"])
                    await reporter.metricsBound(port: port)
                },
                eventLoopGroupProvider: .shared(idpGroup),
                logger: logger
            )
            services.append(.init(service: metricsApp))
        }
        let serviceGroup = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: [],
                cancellationSignals: [],
                logger: logger
            )
        )
        var failure: (any Error)?
        do {
            try await withGracefulShutdownHandler {
                try await serviceGroup.run()
            } onGracefulShutdown: {
                readiness.draining()
                logger.info("graceful shutdown: draining in-flight requests")
                Task { await serviceGroup.triggerGracefulShutdown() }
            }
        } catch {
            failure = error
        }
        await server.drain()
        for loop in loops.values {
            try? await loop.stop().get()
        }
        try? await group.shutdownGracefully()
        await credentials.shutdown()
        await engine.shutdown()
        if let failure { throw failure }
        logger.info("gateway stopped")
    }
}

/// Binds the gateway listener, reports its port, and drains it on graceful shutdown.
private struct ListenerService: Service {
    let server: GatewayServer
    let pipeline: ServerPipeline
    let listener: ListenerConfig
    let reporter: ListeningReporter
    let readiness: Readiness
    let logger: Logger

    func run() async throws {
        let port = try await self.server.bind(host: self.listener.host, port: self.listener.port, pipeline: self.pipeline)
        self.readiness.listening()
        self.logger.info(
            "gateway listening",
            metadata: [
                "address": "\(self.listener.host):\(port)", "scheme": "\(self.listener.secureSocket == nil ? "http" : "https")",
                "clientCertificates": "\(self.listener.secureSocket?.mutualSsl?.verifyClient.rawValue ?? "none")",
            ]
        )
        await self.reporter.gatewayBound(port: port)
        try? await gracefulShutdown()
        await self.server.drain()
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
