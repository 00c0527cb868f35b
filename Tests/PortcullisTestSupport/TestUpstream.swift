import Synchronization
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// What the echo upstream saw of a request.
package struct EchoedRequest: Codable, Sendable {
    package var method: String
    package var target: String
    package var headers: [String: [String]]
    package var bodyLength: Int
    package var bodyChecksum: UInt64

    package func header(_ name: String) -> [String] { self.headers[name.lowercased()] ?? [] }
}

/// A real HTTP server on loopback standing in for an upstream API.
///
/// - `/redirect` answers `302` with a `Location`.
/// - `/hold/...` waits at ``gate`` until the test opens it, then echoes.
/// - `/bytes/{n}` streams `n` bytes in 64 KiB chunks.
/// - a path with a `/revoked/` segment treats the first `Authorization` value it sees as revoked:
///   `401` for it, echoes for any other.
/// - anything else echoes the request as JSON (``EchoedRequest``), adding hop-by-hop response headers.
package struct TestUpstream {
    package let gate = Gate()
    package let revoked = RevokedValue()

    package init() {}

    /// The first value offered, taken as revoked.
    package final class RevokedValue: Sendable {
        private let value = Mutex<String?>(nil)

        package init() {}

        /// Whether `value` is the revoked one (the first one ever offered is).
        package func isRevoked(_ value: String) -> Bool {
            self.value.withLock { revoked in
                if revoked == nil { revoked = value }
                return revoked == value
            }
        }
    }

    package static func checksum(_ bytes: some Sequence<UInt8>, into hash: inout UInt64) {
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
    }

    package static let checksumSeed: UInt64 = 0xcbf2_9ce4_8422_2325

    /// - Parameter server: `.http1()`, or a TLS server for HTTPS upstream tests.
    package func makeApplication(server: HTTPServerBuilder = .http1(), onPort: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        let router = Router()
        let gate = self.gate
        router.get("/redirect") { _, _ in
            Response(status: .found, headers: [.location: "/elsewhere", .contentLength: "0"])
        }
        router.get("/bytes/{count}") { _, context -> Response in
            let count = try context.parameters.require("count", as: Int.self)
            let chunk = ByteBuffer(repeating: UInt8(ascii: "x"), count: 65536)
            return Response(
                status: .ok,
                headers: [.contentType: "application/octet-stream"],
                body: ResponseBody { writer in
                    var remaining = count
                    while remaining > 0 {
                        let size = min(remaining, chunk.readableBytes)
                        try await writer.write(chunk.getSlice(at: 0, length: size)!)
                        remaining -= size
                    }
                    try await writer.finish(nil)
                }
            )
        }
        router.on("/hold/**", method: .get) { request, _ -> Response in
            await gate.pass()
            return try await Self.echo(request)
        }
        let revoked = self.revoked
        for method in [HTTPRequest.Method.get, .post, .put, .delete, .head, .patch] {
            router.on("/**", method: method) { request, _ in
                // Not a route of its own: Hummingbird's router does not fall back from a literal
                // segment to "/**", so "/api/revoked/**" would hide every other "/api/..." path.
                if request.uri.path.contains("/revoked/"), revoked.isRevoked(request.headers[.authorization] ?? "") {
                    return Response(status: .unauthorized, headers: [.contentLength: "0"])
                }
                return try await Self.echo(request)
            }
        }
        var logger = Logger(label: "test-upstream")
        logger.logLevel = .critical
        return Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in await onPort(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }

    package static func echo(_ request: Request) async throws -> Response {
        var headers: [String: [String]] = [:]
        if let authority = request.head.authority {
            headers["host"] = [authority]
        }
        for field in request.headers {
            headers[field.name.canonicalName, default: []].append(field.value)
        }
        var length = 0
        var hash = Self.checksumSeed
        for try await buffer in request.body {
            length += buffer.readableBytes
            Self.checksum(buffer.readableBytesView, into: &hash)
        }
        let echoed = EchoedRequest(
            method: request.method.rawValue,
            target: request.head.path ?? "",
            headers: headers,
            bodyLength: length,
            bodyChecksum: hash
        )
        let body = try JSONEncoder().encode(echoed)
        return Response(
            status: .ok,
            headers: [
                .contentType: "application/json",
                .init("x-upstream")!: "echo",
                .init("keep-alive")!: "timeout=5",
                .init("proxy-authenticate")!: "Basic",
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: body))
        )
    }
}
