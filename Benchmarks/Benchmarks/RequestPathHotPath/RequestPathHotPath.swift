import Benchmark
import BenchmarkSupport
import NIOCore
import PortcullisClientAuth
import PortcullisConfig
@_spi(Benchmarks) import PortcullisGateway
import PortcullisMetrics

/// Whole requests through the gateway's connection handler and NIO's HTTP/1 request decoder on
/// an `EmbeddedChannel`: bytes in, bytes out, no socket. Proxied requests go through the
/// exchange and a pooled upstream connection (an `EmbeddedChannel` answered with fixed bytes).
/// Allocation counts per request are the steady figure here (the lean request path issue:
/// answered here ≤ 12, proxied with a cached JWT ≤ 30; thresholds in Thresholds/).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .portcullis()

    let config = Fixtures.config
    @Sendable func connection() async -> EmbeddedGatewayConnection {
        // The fixture config has no key files, so loading cannot fail.
        try! await EmbeddedGatewayConnection(config: config, metrics: PortcullisMetrics())
    }
    @Sendable func request(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    let hello = request("GET /hello/ HTTP/1.1\r\nHost: gateway\r\nAuthorization: Basic YWxpY2U6YWxpY2UxMjM=\r\n\r\n")
    Benchmark("Request.answerHere.basicCached") { benchmark in
        let connection = await connection()
        precondition(try! connection.exchange(hello) > 0)  // fills the credential cache
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try! connection.exchange(hello))
        }
    }

    let publicRequest = request("GET /public/ HTTP/1.1\r\nHost: gateway\r\n\r\n")
    Benchmark("Request.answerHere.public") { benchmark in
        let connection = await connection()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try! connection.exchange(publicRequest))
        }
    }

    let unauthenticated = request("GET /hello/ HTTP/1.1\r\nHost: gateway\r\n\r\n")
    Benchmark("Request.401.noCredentials") { benchmark in
        let connection = await connection()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try! connection.exchange(unauthenticated))
        }
    }

    let upstreamReply = ByteBuffer(string: "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok")
    @Sendable func proxyConnection() async -> EmbeddedGatewayConnection {
        try! await EmbeddedGatewayConnection(config: config, metrics: PortcullisMetrics(), upstream: { _ in upstreamReply })
    }

    let proxied = request("GET /proxied/items?id=7 HTTP/1.1\r\nHost: gateway\r\nAccept: */*\r\nUser-Agent: bench\r\n\r\n")
    Benchmark("Request.proxy.public") { benchmark in
        let connection = await proxyConnection()
        precondition(try! connection.exchange(proxied) > 0)  // opens the pooled upstream connection
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try! connection.exchange(proxied))
        }
    }

    Benchmark("Request.proxy.jwtCached") { benchmark in
        let connection = await proxyConnection()
        let token = await Fixtures.token()
        try! await connection.warm(target: "/jwtproxied/items", authorization: "Bearer \(token)")
        let jwtRequest = request(
            "GET /jwtproxied/items?id=7 HTTP/1.1\r\nHost: gateway\r\nAccept: */*\r\nUser-Agent: bench\r\nAuthorization: Bearer \(token)\r\n\r\n"
        )
        precondition(try! connection.exchange(jwtRequest) > 0)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try! connection.exchange(jwtRequest))
        }
    }

    // What nginx auth_request sends: the decision endpoint, the original request in headers.
    let decision = request(
        "GET /_portcullis/auth HTTP/1.1\r\nHost: gateway\r\nX-Original-URI: /hello/\r\nX-Original-Method: GET\r\nAuthorization: Basic YWxpY2U6YWxpY2UxMjM=\r\n\r\n"
    )
    Benchmark("Request.decision.basicCached") { benchmark in
        let connection = await connection()
        precondition(try! connection.exchange(decision) > 0)  // fills the credential cache
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try! connection.exchange(decision))
        }
    }

    let notFound = request("GET /nowhere HTTP/1.1\r\nHost: gateway\r\n\r\n")
    Benchmark("Request.404") { benchmark in
        let connection = await connection()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try! connection.exchange(notFound))
        }
    }
}

enum Fixtures {
    /// alice's password is `alice123` (stored as SHA-256, so even the first request is decided on
    /// the loop: an `EmbeddedChannel` cannot wait for bcrypt's thread); she holds `hello`.
    static let config = try! ConfigLoader.parse(
        """
        [forwardAuth]

        [[ballerina.auth.users]]
        username = "alice"
        password = "@sha256:4e40e8ffe0ee32fa53e139147ed559229a5930f89c2204706fc174beb36210b3"
        scopes = ["hello"]

        [[service]]
        name = "hello"
        basePath = "/hello"
          [[service.auth]]
          fileUserStoreConfig = {}
          scopes = ["hello"]
          [[service.resource]]
          path = "/"
          respond = { status = 200, body = "Hello, World!" }

        [[service]]
        name = "public"
        basePath = "/public"
        auth = []
          [[service.resource]]
          path = "/"
          respond = { status = 200, body = "Hello, World!" }

        [[service]]
        name = "proxied"
        basePath = "/proxied"
        upstream = "http://upstream.test:8080"

        [[service]]
        name = "jwtproxied"
        basePath = "/jwtproxied"
        upstream = "http://upstream.test:8080"
          [[service.auth]]
          scopes = ["read"]
          jwtValidatorConfig = { issuer = "bench", signatureConfig = { secret = "\(Fixtures.secret)" } }
        """,
        file: "request-path-benchmark.toml"
    )

    static let secret = "a-shared-secret-of-at-least-32-bytes"

    /// An HS256 token for the `jwtproxied` service (the cache-hit path does not depend on the
    /// algorithm; the e2e JWT rows use RS256).
    static func token() async -> String {
        let issuer = try! await JWTIssuer.make(key: try! JWTSigningKey(secret: Self.secret), keyID: nil)
        return try! issuer.sign(JWTClaimSet(issuer: "bench", subject: "alice", lifetimeSeconds: 86_400, custom: ["scope": .string("read")]))
    }
}
