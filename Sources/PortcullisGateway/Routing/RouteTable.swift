import PortcullisAuth
import PortcullisAuthEngine
import PortcullisConfig
import PortcullisMetrics

/// The result of matching a request against the route table.
enum RouteMatch: Sendable {
    case route(Route)
    /// No service or resource owns the path.
    case notFound
    /// A resource owns the path but not the method; `allow` lists the methods it takes.
    case methodNotAllowed(service: ServiceRuntime, allow: [String])
}

/// Services by longest base path, then their resources by specificity: an immutable snapshot.
///
/// A service without resources owns every path below its base path. A service with resources
/// owns exactly those resources: other paths are `404`, other methods `405`. Among resources
/// matching one path, literal segments beat `{param}` segments, which beat a trailing `/**`.
@_spi(Benchmarks) public struct RouteTable: Sendable {
    // Compiled entries are classes: matching walks them by reference instead of copying
    // structs full of references (retain/release was the largest cost of Route.match).
    private final class CompiledResource: Sendable {
        let methods: Set<String>?
        let pattern: PathPattern
        let route: Route

        /// Matching ranks: higher is more specific, compared segment by segment.
        let rank: [Int]

        init(methods: Set<String>?, pattern: PathPattern, route: Route, rank: [Int]) {
            self.methods = methods
            self.pattern = pattern
            self.route = route
            self.rank = rank
        }

        func accepts(_ method: String) -> Bool {
            self.methods?.contains(method) ?? true
        }

        func matches(_ segments: ArraySlice<Substring>) -> Bool {
            if self.pattern.matchesRemainder {
                guard segments.count >= self.pattern.segments.count else { return false }
            } else {
                guard segments.count == self.pattern.segments.count else { return false }
            }
            for (segment, expected) in zip(segments, self.pattern.segments) {
                if case .literal(let literal) = expected, !segment.utf8.elementsEqual(literal.utf8) {
                    return false
                }
            }
            return true
        }
    }

    private final class CompiledService: Sendable {
        let baseSegments: [String]
        let runtime: ServiceRuntime
        /// The route for every path when the service declares no resources.
        let catchAll: Route?
        let resources: [CompiledResource]

        init(baseSegments: [String], runtime: ServiceRuntime, catchAll: Route?, resources: [CompiledResource]) {
            self.baseSegments = baseSegments
            self.runtime = runtime
            self.catchAll = catchAll
            self.resources = resources
        }
    }

    private let services: [CompiledService]

    @_spi(Benchmarks) public init(config: GatewayConfig, engine: AuthEngine, metrics: PortcullisMetrics) {
        self.init(config: config, engine: engine, metrics: metrics, credentials: .none, shards: 1, throttles: [:])
    }

    /// - Parameters:
    ///   - shards: the number of event loops, each recording its services' metrics apart.
    ///   - throttles: each service's failed-auth limits, by service name.
    init(
        config: GatewayConfig,
        engine: AuthEngine,
        metrics: PortcullisMetrics,
        credentials: UpstreamCredentials,
        shards: Int,
        throttles: [String: AuthThrottle]
    ) {
        var services: [CompiledService] = []
        for service in config.services {
            let runtime = ServiceRuntime(
                name: service.name,
                metrics: metrics.service(service.name, shards: shards),
                throttle: throttles[service.name]
            )
            let servicePolicy = engine.policy(for: service.auth)
            let upstream = service.upstream.map { url in
                UpstreamTarget(
                    url: url,
                    client: service.upstreamClient,
                    hideCredentials: service.hideCredentials,
                    forwardIdentity: service.forwardIdentity,
                    credential: credentials.credential(forBasePath: service.basePath)
                )
            }
            var resources: [CompiledResource] = []
            for resource in service.resources {
                let action: RouteAction
                if let respond = resource.respond {
                    action = .respond(FixedAnswer(respond))
                } else if let upstream {
                    action = .proxy(upstream)
                } else {
                    action = .decisionsOnly  // the validator allows this with [forwardAuth] only
                }
                let policy = resource.auth.map { engine.policy(for: $0) } ?? servicePolicy
                resources.append(
                    CompiledResource(
                        methods: resource.methods.map(Set.init),
                        pattern: resource.path,
                        route: Route(service: runtime, policy: policy, action: action),
                        rank: Self.rank(resource.path)
                    )
                )
            }
            let catchAll = service.resources.isEmpty
                ? Route(service: runtime, policy: servicePolicy, action: upstream.map { .proxy($0) } ?? .decisionsOnly) : nil
            services.append(
                CompiledService(
                    baseSegments: service.basePath.split(separator: "/").map(String.init),
                    runtime: runtime,
                    catchAll: catchAll,
                    resources: resources
                )
            )
        }
        self.services = services.sorted { $0.baseSegments.count > $1.baseSegments.count }
    }

    func match(method: String, path: RequestPath) -> RouteMatch {
        for service in self.services {
            guard path.segments.count >= service.baseSegments.count,
                zip(path.segments, service.baseSegments).allSatisfy({ $0.utf8.elementsEqual($1.utf8) })
            else { continue }
            if let catchAll = service.catchAll {
                return .route(catchAll)
            }
            let rest = path.segments[service.baseSegments.count...]
            var best: CompiledResource?
            var pathMatched = false
            for resource in service.resources where resource.matches(rest) {
                pathMatched = true
                guard resource.accepts(method) else { continue }
                if let current = best, !resource.rank.lexicographicallyPrecedes(current.rank, by: >) {
                    continue
                }
                best = resource
            }
            if let best { return .route(best.route) }
            if pathMatched {
                // Rare: only now collect what the path does allow.
                var allow: Set<String> = []
                for resource in service.resources where resource.matches(rest) {
                    allow.formUnion(resource.methods ?? [])
                }
                return .methodNotAllowed(service: service.runtime, allow: allow.sorted())
            }
            return .notFound
        }
        return .notFound
    }

    /// `true` when a route owns `target` for `method`: the routing work of one request, for benchmarks.
    @_spi(Benchmarks) public func routes(method: String, target: String) -> Bool {
        guard let path = try? RequestPath(target: target) else { return false }
        if case .route = self.match(method: method, path: path) { return true }
        return false
    }

    private static func rank(_ pattern: PathPattern) -> [Int] {
        pattern.segments.map { segment in
            switch segment {
            case .literal: 2
            case .parameter: 1
            }
        } + [pattern.matchesRemainder ? 0 : 3]
    }
}
