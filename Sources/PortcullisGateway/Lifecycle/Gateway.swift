import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import PortcullisAuth
import PortcullisAuthEngine
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
    private let reloader: ConfigReloader?
    private let onListening: @Sendable (ListeningAddresses) async -> Void
    /// The monotonic clock OAuth2 token lifetimes are measured on (tests move it).
    package var tokenClock: @Sendable () -> Double = TokenCache.monotonicSeconds

    /// - Parameters:
    ///   - config: the validated configuration snapshot to serve.
    ///   - metrics: the series registry the metrics endpoint exposes.
    ///   - logger: the logger for start-up steps and requests.
    ///   - reloader: where reloads are asked for (SIGHUP in `portcullis serve`); `nil` serves
    ///     `config` until the end.
    ///   - onListening: called once every listener is bound, with the bound ports.
    public init(
        config: GatewayConfig,
        metrics: PortcullisMetrics = PortcullisMetrics(),
        logger: Logger,
        reloader: ConfigReloader? = nil,
        onListening: @escaping @Sendable (ListeningAddresses) async -> Void = { _ in }
    ) {
        self.config = config
        self.metrics = metrics
        self.logger = logger
        self.reloader = reloader
        self.onListening = onListening
    }

    /// Compiles `config` as ``run()`` does — every certificate, key and store read and checked,
    /// every authenticator and credential built — without contacting anything, and closes it
    /// again (for `portcullis check`).
    ///
    /// - Returns: what is worth telling the operator (expired CAs, development keys, ...).
    public static func check(config: GatewayConfig) async throws(ConfigError) -> [ConfigDiagnostic] {
        let snapshot = try await GatewaySnapshot.compile(config: config, metrics: nil, logger: Logger(label: "portcullis.check"), shards: 1)
        await snapshot.shutdown()
        return snapshot.warnings
    }

    public func run() async throws {
        let listener = self.config.listener
        let loopCount = listener.eventLoops ?? System.coreCount
        // Certificates and keys are read before anything listens, so a bad file stops the start.
        // Identity-provider clients (JWKS, introspection, token endpoints) stay on NIO's shared
        // group; the listener and the upstream pools get loops of their own.
        let snapshot = try await GatewaySnapshot.compile(
            config: self.config,
            metrics: self.metrics,
            logger: self.logger,
            shards: loopCount,
            tokenClock: self.tokenClock
        )
        for warning in snapshot.tls.warnings + snapshot.engine.warnings {
            self.logger.warning("\(warning.description)")
        }
        let engine = snapshot.engine
        if engine.fileUserStore != nil {
            self.logger.info("file user store ready", metadata: ["users": "\(self.config.users.count)"])
        }
        // One attempt each before listening (JWKS fetches, LDAP binds), so the first requests find
        // keys and connections; an unreachable provider is logged and retried, not fatal.
        await engine.start()
        if !engine.jwksSources.isEmpty {
            self.logger.info("JWKS sources started", metadata: ["sources": "\(engine.jwksSources.count)"])
        }
        self.logger.info("routes ready", metadata: ["services": "\(self.config.services.count)", "config.hash": "\(self.config.sourceHash)"])

        let accessLog: AccessLogWriter?
        do {
            accessLog = try self.config.accessLog.map { try AccessLogWriter(config: $0, metrics: self.metrics, source: self.config) }
        } catch {
            await snapshot.shutdown()
            throw error
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: loopCount)
        var loops: [LoopRuntime] = []
        for (index, eventLoop) in group.makeIterator().enumerated() {
            let loop = LoopRuntime(eventLoop: eventLoop, index: index, gateway: snapshot.runtime, accessLog: accessLog)
            loop.start()
            loops.append(loop)
        }
        let pipeline = ServerPipeline(
            loops: Dictionary(uniqueKeysWithValues: loops.map { (ObjectIdentifier($0.eventLoop), $0) }),
            failures: TLSHandshakeFailure.Counters(metrics: self.metrics)
        )
        let reporter = ListeningReporter(expectsMetrics: self.config.metrics != nil, report: self.onListening)
        let readiness = Readiness(jwksSources: engine.jwksSources)
        let installer = SnapshotInstaller(
            current: snapshot,
            loops: loops,
            metrics: self.metrics,
            readiness: readiness,
            accessLog: accessLog,
            logger: self.logger,
            tokenClock: self.tokenClock
        )
        await installer.startRefreshes()
        let logger = self.logger
        let server = GatewayServer(group: group)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(
                service: ListenerService(server: server, pipeline: pipeline, listener: listener, reporter: reporter, readiness: readiness, logger: logger)
            )
        ]
        if let reloader = self.reloader {
            services.append(.init(service: ReloadService(reloader: reloader, installer: installer), successTerminationBehavior: .ignore))
        }
        services.append(.init(service: MemoryTrimService(loops: loops, logger: logger), successTerminationBehavior: .ignore))
        if let metricsConfig = self.config.metrics {
            let metricsApp = Application(
                router: MetricsEndpoint.router(config: metricsConfig, metrics: self.metrics, readiness: readiness),
                configuration: .init(address: .hostname(metricsConfig.host, port: metricsConfig.port), serverName: nil),
                onServerRunning: { channel in
                    let port = channel.localAddress?.port ?? 0
                    logger.info("metrics listening", metadata: ["address": "\(metricsConfig.host):\(port)", "path": "\(metricsConfig.path)"])
                    await reporter.metricsBound(port: port)
                },
                eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton),
                logger: logger
            )
            // First in the group, so the last to stop: a graceful shutdown stops services in
            // reverse order, and the probes must keep answering (`/readyz` 503) while the
            // listener drains.
            services.insert(.init(service: metricsApp), at: 0)
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
        if let reloader = self.reloader {
            // Reloads asked for while stopping are refused, not left waiting.
            reloader.finish()
            for await request in reloader.requests {
                request?.resume(returning: .rejected(["the gateway is shutting down"]))
            }
        }
        await server.drain()
        for loop in loops {
            try? await loop.stop().get()
        }
        try? await group.shutdownGracefully()
        await accessLog?.shutdown()
        await installer.shutdown()
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

/// Carries out the reloads a ``ConfigReloader`` asks for, one at a time, until the gateway shuts down.
private struct ReloadService: Service {
    let reloader: ConfigReloader
    let installer: SnapshotInstaller

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await request in self.reloader.requests {
                let outcome = await self.installer.reload(self.reloader.load)
                request?.resume(returning: outcome)
            }
        }
    }
}
