import AsyncHTTPClient
import Foundation
import HummingbirdCore
import HummingbirdTLS
import NIOSSL
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import PortcullisConfig
import PortcullisGateway
import PortcullisMetrics
import ServiceLifecycle
import Testing
import PortcullisTestSupport

/// Runs a real gateway and a real upstream on loopback for the duration of a test.
enum GatewayHarness {
    /// A client that never follows redirects, so tests see exactly what the gateway sent.
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    static var quietLogger: Logger { .quiet }

    struct Context: Sendable {
        let gatewayPort: Int
        let metricsPort: Int?
        let upstreamPort: Int
        let upstream: TestUpstream
        /// `https` when the gateway listens with TLS.
        let scheme: String
        /// Starts the gateway's graceful shutdown (as SIGTERM would).
        let shutdown: @Sendable () async -> Void
        /// Reloads the gateway (as SIGHUP would) with `toml` (`UPSTREAM` and `DOWN` replaced as
        /// for the first config), read as `test.toml`.
        let reload: @Sendable (_ toml: String) async -> ReloadOutcome

        /// The gateway's origin; `localhost` for HTTPS so the test certificates' names match.
        var base: String {
            self.scheme == "https" ? "https://localhost:\(self.gatewayPort)" : "http://127.0.0.1:\(self.gatewayPort)"
        }

        func get(
            _ path: String,
            headers: [(String, String)] = [],
            method: HTTPMethod = .GET,
            body: [UInt8]? = nil,
            using client: HTTPClient = GatewayHarness.client
        ) async throws -> TestResponse {
            var request = HTTPClientRequest(url: self.base + path)
            request.method = method
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let body { request.body = .bytes(body) }
            return try await TestResponse(client.execute(request, timeout: .seconds(30)))
        }

        /// Sends a request and records an issue unless the status is `status`.
        func expect(
            _ status: Int,
            _ path: String,
            headers: [(String, String)] = [],
            method: HTTPMethod = .GET,
            sourceLocation: SourceLocation = #_sourceLocation
        ) async throws {
            let response = try await self.get(path, headers: headers, method: method)
            #expect(response.status == status, "\(method) \(path)", sourceLocation: sourceLocation)
        }

        func metrics() async throws -> String {
            let port = try #require(self.metricsPort)
            let response = try await GatewayHarness.client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(10))
            return String(buffer: try await response.body.collect(upTo: 16 << 20))
        }
    }

    /// Starts an upstream, then a gateway whose config is `toml` with `UPSTREAM` replaced by the
    /// upstream's origin, runs `body`, and shuts both down gracefully.
    ///
    /// With `upstreamTLS`, the upstream serves HTTPS with it and `UPSTREAM` becomes
    /// `https://localhost:<port>`.
    static func run(
        _ toml: String,
        metrics: PortcullisMetrics = PortcullisMetrics(),
        upstreamTLS: TLSConfiguration? = nil,
        tokenClock: (@Sendable () -> Double)? = nil,
        logger: Logger = GatewayHarness.quietLogger,
        _ body: @Sendable (Context) async throws -> Void
    ) async throws {
        let upstream = TestUpstream()
        let (upstreamPorts, upstreamPortSink) = AsyncStream.makeStream(of: Int.self)
        let server: HTTPServerBuilder = try upstreamTLS.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1()
        let upstreamApp = upstream.makeApplication(server: server) { upstreamPortSink.yield($0) }
        let upstreamGroup = ServiceGroup(services: [upstreamApp], logger: Self.quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await upstreamGroup.run() }
            var portIterator = upstreamPorts.makeAsyncIterator()
            let upstreamPort = try #require(await portIterator.next())
            let downPort = try Self.closedPort()
            @Sendable func substituted(_ toml: String) -> String {
                toml.replacingOccurrences(
                    of: "UPSTREAM",
                    with: upstreamTLS == nil ? "http://127.0.0.1:\(upstreamPort)" : "https://localhost:\(upstreamPort)"
                )
                .replacingOccurrences(of: "DOWN", with: "http://127.0.0.1:\(downPort)")
            }
            let config = try ConfigLoader.parse(substituted(toml), file: "test.toml")
            let nextSource = NIOLockedValueBox(substituted(toml))
            let reloader = ConfigReloader { try ConfigLoader.parse(nextSource.withLockedValue { $0 }, file: "test.toml") }
            let (listening, listeningSink) = AsyncStream.makeStream(of: ListeningAddresses.self)
            var gateway = Gateway(config: config, metrics: metrics, logger: logger, reloader: reloader) { listeningSink.yield($0) }
            if let tokenClock { gateway.tokenClock = tokenClock }
            let gatewayGroup = ServiceGroup(services: [gateway], logger: Self.quietLogger)
            tasks.addTask {
                // A gateway that fails to start (a port in use, a bad certificate) ends the stream,
                // so the wait below fails the test instead of hanging it.
                defer { listeningSink.finish() }
                try await gatewayGroup.run()
            }
            var listeningIterator = listening.makeAsyncIterator()
            let addresses = try #require(await listeningIterator.next())
            let context = Context(
                gatewayPort: addresses.gatewayPort,
                metricsPort: addresses.metricsPort,
                upstreamPort: upstreamPort,
                upstream: upstream,
                scheme: config.listener.secureSocket == nil ? "http" : "https",
                shutdown: { await gatewayGroup.triggerGracefulShutdown() },
                reload: { toml in
                    nextSource.withLockedValue { $0 = substituted(toml) }
                    return await reloader.reload()
                }
            )
            do {
                try await body(context)
            } catch {
                await upstream.gate.open()
                await gatewayGroup.triggerGracefulShutdown()
                await upstreamGroup.triggerGracefulShutdown()
                throw error
            }
            await upstream.gate.open()
            await gatewayGroup.triggerGracefulShutdown()
            await upstreamGroup.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// A loopback port that refuses every connection (``RefusingPort``).
    static func closedPort() throws -> Int {
        RefusingPort.port
    }
}

/// A response with its body collected.
struct TestResponse: Sendable {
    let status: Int
    let headers: HTTPHeaders
    let body: [UInt8]

    init(_ response: HTTPClientResponse) async throws {
        self.status = Int(response.status.code)
        self.headers = response.headers
        self.body = Array(buffer: try await response.body.collect(upTo: 64 << 20))
    }

    var text: String { String(decoding: self.body, as: UTF8.self) }

    func echoed() throws -> EchoedRequest {
        try JSONDecoder().decode(EchoedRequest.self, from: Data(self.body))
    }
}
