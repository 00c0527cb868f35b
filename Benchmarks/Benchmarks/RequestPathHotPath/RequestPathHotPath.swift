import Benchmark
import BenchmarkSupport
import NIOCore
import PortcullisConfig
@_spi(Benchmarks) import PortcullisGateway
import PortcullisMetrics

/// Whole requests through the gateway's connection handler and NIO's HTTP/1 codec on an
/// `EmbeddedChannel`: bytes in, bytes out, no socket. Allocation counts per request are the
/// steady figure here (the lean request path issue: answered here ≤ 12).
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
        """,
        file: "request-path-benchmark.toml"
    )
}
