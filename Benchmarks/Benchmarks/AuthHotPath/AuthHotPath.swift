import Benchmark
import BenchmarkSupport
import Crypto
import PortcullisAuth
import PortcullisAuthEngine
import PortcullisConfig
@_spi(Benchmarks) import PortcullisGateway
import PortcullisMetrics

/// The per-request work of the gateway's hot path, without sockets: routing, the 401 and 403
/// short-circuits, a Basic cache hit, and a bcrypt miss. Thresholds gate allocation counts.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .portcullis()

    let config = Fixtures.config
    let metrics = PortcullisMetrics()
    // AuthEngine.load is async (it reads key files); the suites below are registered synchronously,
    // so each builds what it needs inside its own closure, before measuring.
    @Sendable func prepared() async -> (routes: RouteTable, policy: AuthPolicy) {
        // The fixture config has no key files, so loading cannot fail.
        let engine = try! await AuthEngine.load(config: config, metrics: metrics)
        return (
            RouteTable(config: config, engine: engine, metrics: metrics),
            engine.policy(for: [AuthEntryConfig(method: .fileUserStore, scopes: ["hello"])])
        )
    }

    Benchmark("Route.match") { benchmark in
        let routes = await prepared().routes
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(routes.routes(method: "GET", target: "/shop/items/42?verbose=1"))
        }
    }

    Benchmark("Auth.401.noHeader") { benchmark in
        let policy = await prepared().policy
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(await policy.evaluate(AuthRequest(authorization: nil)))
        }
    }

    Benchmark("Auth.401.malformedHeader") { benchmark in
        let policy = await prepared().policy
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(await policy.evaluate(AuthRequest(authorization: "Basic !!not-base64!!")))
        }
    }

    // The two parts of a cache hit that do not depend on the cache: parsing the header and
    // deriving the keyed hash.
    Benchmark("Credential.parse.basic") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(AuthRequest(authorization: Fixtures.alice))
        }
    }

    let deriver = CacheKeyDeriver()
    let secret = Array("alice:alice123".utf8)
    Benchmark("CacheKey.derive") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(deriver.key(for: secret))
        }
    }

    // The baseline CacheKeyDeriver is measured against: swift-crypto's one-shot HMAC.
    let hmacKey = SymmetricKey(size: .bits256)
    Benchmark("CacheKey.derive.libraryHMAC") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(HMAC<SHA256>.authenticationCode(for: secret, using: hmacKey))
        }
    }

    Benchmark("Auth.basic.cacheHit") { benchmark in
        let policy = await prepared().policy
        // Warm the cache once (one bcrypt run) before measuring.
        _ = await policy.evaluate(AuthRequest(authorization: Fixtures.alice))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(await policy.evaluate(AuthRequest(authorization: Fixtures.alice)))
        }
    }

    Benchmark("Auth.403.basicCached") { benchmark in
        let policy = await prepared().policy
        _ = await policy.evaluate(AuthRequest(authorization: Fixtures.bob))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(await policy.evaluate(AuthRequest(authorization: Fixtures.bob)))
        }
    }

    let uncached = FileUserStore(users: config.users, cache: .init(capacity: 1, timeToLive: .zero))
    let uncachedPolicy = AuthPolicy(entries: [AuthEntry(authenticator: uncached, scopes: ["hello"])])
    Benchmark(
        "Auth.basic.bcryptMiss.cost10",
        configuration: .init(scalingFactor: .one, maxDuration: .seconds(3), maxIterations: 50)
    ) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(await uncachedPolicy.evaluate(AuthRequest(authorization: Fixtures.alice)))
        }
    }

    // Equal-time failures: a wrong password and an unknown name each cost one bcrypt run at the
    // store's cost (10), so the time of a 401 does not tell which names exist.
    for (name, authorization) in [("wrongPassword", Fixtures.aliceWrong), ("unknownUser", Fixtures.nobody)] {
        Benchmark(
            "Auth.basic.failure.\(name).cost10",
            configuration: .init(scalingFactor: .one, maxDuration: .seconds(3), maxIterations: 50)
        ) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(await uncachedPolicy.evaluate(AuthRequest(authorization: authorization)))
            }
        }
    }
}

enum Fixtures {
    /// alice/alice123 (bcrypt cost 10, scope hello) and bob/bob123 (no scopes), as in the quickstart.
    static let config: GatewayConfig = {
        let source = """
            [[ballerina.auth.users]]
            username = "alice"
            password = "$2y$10$pFzW.epJlORvoehp41EbzewlAwaQZhbJMCosCJkqp36ioDrJDav32"
            scopes = ["hello"]

            [[ballerina.auth.users]]
            username = "bob"
            password = "$2y$10$R0uaQ2RuNc8iYMotNbdwl.CopJ5jQ/nKgMO/IF/HTDnWwqypLfHEm"

            [[service]]
            basePath = "/api"
            upstream = "http://127.0.0.1:8080"

            [[service]]
            basePath = "/shop"
            upstream = "http://127.0.0.1:8080"
              [[service.auth]]
              fileUserStoreConfig = {}
              [[service.resource]]
              path = "/public/**"
              auth = []
              [[service.resource]]
              methods = ["GET"]
              path = "/items/{id}"
              [[service.resource]]
              methods = ["POST"]
              path = "/items/{id}"
            """
        do {
            return try ConfigLoader.parse(source, file: "benchmark.toml")
        } catch {
            fatalError("benchmark fixture config is invalid: \(error)")
        }
    }()

    static let alice = "Basic YWxpY2U6YWxpY2UxMjM="
    static let bob = "Basic Ym9iOmJvYjEyMw=="
    /// alice with a wrong password, and a name the store does not have.
    static let aliceWrong = "Basic YWxpY2U6d3JvbmctcGFzc3dvcmQ="
    static let nobody = "Basic bm9ib2R5Ondyb25nLXBhc3N3b3Jk"
}
