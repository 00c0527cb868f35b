import Logging
import NIOCore
import NIOPosix
import PortcullisAuth
import PortcullisAuthEngine
import PortcullisClientAuth
import PortcullisConfig
import PortcullisMetrics

/// What one configuration compiles to: its TLS material, auth engine, outbound credentials,
/// upstream settings and route table, ready to install on the event loops.
///
/// The one compile step of the gateway: `portcullis check` runs it and throws the result away,
/// `serve` runs it at start and on every reload. Compiling reads every file the configuration
/// names (so SIGHUP picks up a rotated key even when the TOML did not change) but contacts no
/// identity provider. Given the snapshot serving until now, it takes over what did not change
/// (see ``AuthEngine/load(config:metrics:fileUserStoreCache:logger:eventLoopGroup:reusing:)``).
struct GatewaySnapshot: Sendable {
    let config: GatewayConfig
    let tls: GatewayTLS
    let engine: AuthEngine
    let credentials: UpstreamCredentials
    /// What the loops serve requests from.
    let runtime: GatewayRuntime
    /// The failed-auth limits of `[throttling]`, shared by the services without their own.
    let globalThrottle: AuthThrottle?
    /// Each service's failed-auth limits, by service name.
    let throttles: [String: AuthThrottle]

    /// Everything worth telling the operator about this configuration.
    var warnings: [ConfigDiagnostic] {
        self.config.warnings + self.tls.warnings + self.engine.warnings
    }

    /// Compiles `config`.
    ///
    /// - Parameters:
    ///   - metrics: where the series go; `nil` for a check (nothing is recorded).
    ///   - shards: the event loops that will serve it (one metrics shard each).
    ///   - identityProviders: what identity-provider and token-endpoint clients run on.
    ///   - previous: the snapshot serving until now, on a reload.
    /// - Throws: ``ConfigError`` naming each file, line and key that cannot be used; nothing of
    ///   `previous` is closed then.
    static func compile(
        config: GatewayConfig,
        metrics: PortcullisMetrics?,
        logger: Logger,
        shards: Int,
        identityProviders: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        tokenClock: @escaping @Sendable () -> Double = TokenCache.monotonicSeconds,
        previous: GatewaySnapshot? = nil
    ) async throws(ConfigError) -> GatewaySnapshot {
        let tls = try GatewayTLS(config: config)
        let upstreams = try UpstreamSettings.make(config: config, tls: tls)
        // The gateway's identity headers are the subject, scopes and method: token claims stay
        // out of its principals and caches.
        let engine = try await AuthEngine.load(
            config: config,
            metrics: metrics,
            logger: logger,
            eventLoopGroup: identityProviders,
            claims: .dropped,
            reusing: previous?.engine
        )
        let credentials: UpstreamCredentials
        do {
            credentials = try await UpstreamCredentials.load(
                config: config,
                metrics: metrics,
                logger: logger,
                eventLoopGroup: identityProviders,
                tokenClock: tokenClock,
                reusing: previous?.credentials
            )
        } catch {
            await engine.shutdown(keeping: previous?.engine)
            throw error
        }
        let series = metrics ?? PortcullisMetrics()
        // Limits whose settings did not change keep their state across a reload.
        func throttle(_ settings: ThrottlingConfig?, scope: String, previous: AuthThrottle?) -> AuthThrottle? {
            guard let settings, settings.limits else { return nil }
            if let previous, previous.config == settings { return previous }
            return AuthThrottle(config: settings, scope: scope, metrics: series, logger: logger)
        }
        let globalThrottle = throttle(config.throttling, scope: "global", previous: previous?.globalThrottle)
        var throttles: [String: AuthThrottle] = [:]
        for service in config.services {
            if let own = service.throttling {
                throttles[service.name] = throttle(own, scope: "service:" + service.name, previous: previous?.throttles[service.name])
            } else {
                throttles[service.name] = globalThrottle
            }
        }
        let runtime = GatewayRuntime(
            routes: RouteTable(config: config, engine: engine, metrics: series, credentials: credentials, shards: shards, throttles: throttles),
            unmatched: series.service(ServiceConfig.unmatchedName, shards: shards),
            logger: logger,
            requestHeaderTimeout: .nanoseconds(Int64(config.listener.requestHeaderTimeoutSeconds * 1e9)),
            idleTimeout: .nanoseconds(Int64(config.listener.idleTimeoutSeconds * 1e9)),
            upstreams: upstreams,
            tls: tls.serverContext,
            readsClientCertificates: tls.verifiesClients,
            forwardAuth: config.forwardAuth.map(ForwardAuthEndpoint.init),
            throttleStores: Set(throttles.values.compactMap(\.store?.client) + [globalThrottle?.store?.client].compactMap { $0 })
        )
        return GatewaySnapshot(
            config: config,
            tls: tls,
            engine: engine,
            credentials: credentials,
            runtime: runtime,
            globalThrottle: globalThrottle,
            throttles: throttles
        )
    }

    /// Closes this snapshot's identity-provider clients, LDAP connections and token-endpoint
    /// clients, except what `successor` took over (`nil`: everything).
    func shutdown(keeping successor: GatewaySnapshot? = nil) async {
        await self.credentials.shutdown(keeping: successor?.credentials)
        await self.engine.shutdown(keeping: successor?.engine)
    }
}
