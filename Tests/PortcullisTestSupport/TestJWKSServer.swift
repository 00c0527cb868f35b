import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// A JWKS endpoint on loopback whose answer a test changes while the gateway runs: another key
/// set, an error status, or a held answer (to make concurrent misses overlap one fetch).
package actor JWKSState {
    package var body: [UInt8]
    package var status: HTTPResponse.Status = .ok
    package private(set) var fetches = 0
    package var gate: Gate?
    /// When set, a fetch whose `Authorization` it refuses gets `401`.
    private var authorize: (@Sendable (String?) async -> Bool)?

    package init(body: [UInt8]) {
        self.body = body
    }

    package func set(body: [UInt8]) { self.body = body }
    package func set(status: HTTPResponse.Status) { self.status = status }
    package func hold(_ gate: Gate?) { self.gate = gate }
    package func require(_ authorize: @escaping @Sendable (String?) async -> Bool) { self.authorize = authorize }

    fileprivate func answer(authorization: String?) async -> (HTTPResponse.Status, [UInt8]) {
        self.fetches += 1
        if let authorize = self.authorize, await !authorize(authorization) { return (.unauthorized, []) }
        if let gate = self.gate { await gate.pass() }
        return (self.status, self.body)
    }
}

package enum TestJWKSServer {
    /// Serves `GET /jwks.json` from `state` while `body` runs; `tls` makes it HTTPS.
    package static func run(
        _ state: JWKSState,
        server: HTTPServerBuilder = .http1(),
        _ body: @Sendable (Int) async throws -> Void
    ) async throws {
        let router = Router()
        router.get("/jwks.json") { request, _ -> Response in
            let (status, bytes) = await state.answer(authorization: request.headers[.authorization])
            return Response(
                status: status,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes))
            )
        }
        var logger = Logger(label: "test-jwks")
        logger.logLevel = .critical
        let (ports, sink) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in sink.yield(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        let group = ServiceGroup(services: [app], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                defer { sink.finish() }
                try await group.run()
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { return }
            do {
                try await body(port)
            } catch {
                await state.gate?.open()
                await group.triggerGracefulShutdown()
                throw error
            }
            await state.gate?.open()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
