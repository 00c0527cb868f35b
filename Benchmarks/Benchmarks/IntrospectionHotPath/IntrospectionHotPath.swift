import Benchmark
import BenchmarkSupport
import Foundation
import Logging
import NIOPosix
@_spi(Benchmarks) import PortcullisAuth
import PortcullisAuthEngine
import PortcullisConfig

/// The introspection hot path without sockets: a cached active token through the policy (allowed,
/// and refused with 403), a cached inactive token (401), and the SHA-256 digest every lookup
/// starts with. The caches are primed as the authorization server's answers would fill them; what
/// a miss costs (one HTTP exchange with the server) is measured end to end by `Benchmarks/e2e/run.sh`.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .portcullis()

    // An opaque token as django-oauth-toolkit issues them (30 characters), and one as long as a JWT.
    let token = "0zSx5QO1id3lgJ5fHzpQB9Ewg6aIWa"
    let inactive = "bogus-token-never-issued-xxxxx"
    let authenticator = IntrospectionFixture.authenticator
    authenticator.prime(
        token,
        principal: Principal(subject: "gateway", scopes: ["read", "hello"], method: .introspection, claims: ["client_id": .string("gateway")]),
        expiresAt: Date().timeIntervalSince1970 + 86_400
    )
    authenticator.prime(inactive, principal: nil, expiresAt: 0)

    for (name, authorization, scope, outcome) in [
        ("Auth.introspection.cacheHit", token, "read", PolicyDecision.Outcome.allowed),
        ("Auth.403.introspectionCached", token, "admin", .forbidden),
        ("Auth.401.introspection.inactiveCached", inactive, "read", .unauthenticated),
    ] {
        Benchmark(name) { benchmark in
            let policy = AuthPolicy(entries: [AuthEntry(authenticator: authenticator, scopes: [scope])])
            let header = "Bearer " + authorization
            guard await policy.evaluate(AuthRequest(authorization: header)).outcome == outcome else { fatalError("expected \(outcome)") }
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(await policy.evaluate(AuthRequest(authorization: header)))
            }
        }
    }

    let jwtSized = String(repeating: "a", count: 800)
    for (name, value) in [("Introspection.tokenDigest.30B", token), ("Introspection.tokenDigest.800B", jwtSized)] {
        Benchmark(name) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(TokenDigest(value))
            }
        }
    }
}

enum IntrospectionFixture {
    /// An authenticator whose endpoint is never called (every lookup measured is a hit).
    static let authenticator: IntrospectionAuthenticator = {
        let config = IntrospectionConfig(url: "http://127.0.0.1:9/introspect")
        let endpoint = IntrospectionEndpoint(
            config: config,
            tls: nil,
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            metrics: nil,
            logger: Logger(label: "benchmark")
        )
        return IntrospectionAuthenticator(config: config, endpoint: endpoint)
    }()
}
