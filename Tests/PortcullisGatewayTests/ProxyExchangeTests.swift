import Foundation
import NIOCore
import NIOEmbedded
import PortcullisConfig
import PortcullisMetrics
import Testing

@_spi(Benchmarks) @testable import PortcullisGateway

/// The proxy's state machines (connection handler, exchange, upstream connection and pool) on
/// `EmbeddedChannel`s: no sockets, no sleeps. The upstream is a closure that sees the bytes the
/// gateway sent and answers with bytes.
@Suite("Proxy exchange")
struct ProxyExchangeTests {
    static let config = """
        \(GatewayConfigs.users)

        [[service]]
        name = "api"
        basePath = "/api"
        upstream = "http://upstream.test:8080"

        [[service]]
        name = "private"
        basePath = "/private"
        upstream = "http://upstream.test:8080"
          [[service.auth]]
          fileUserStoreConfig = {}
          scopes = ["read"]
        """

    static func connection(upstream: EmbeddedGatewayConnection.Upstream? = nil) async throws -> EmbeddedGatewayConnection {
        try await EmbeddedGatewayConnection(
            config: try ConfigLoader.parse(Self.config, file: "proxy.toml"),
            metrics: PortcullisMetrics(),
            logger: GatewayHarness.quietLogger,
            upstream: upstream
        )
    }

    /// Answers every request whose head is complete with its request line as the body.
    static func echoRequestLine(extraHeaders: String = "") -> EmbeddedGatewayConnection.Upstream {
        { request in
            let text = String(buffer: request)
            let lines = text.components(separatedBy: "\r\n\r\n").filter { !$0.isEmpty }
            guard !lines.isEmpty else { return nil }
            var reply = ByteBuffer()
            for head in lines {
                let line = head.prefix { $0 != "\r" }
                reply.writeString("HTTP/1.1 200 OK\r\n\(extraHeaders)content-length: \(line.utf8.count)\r\n\r\n\(line)")
            }
            return reply
        }
    }

    @Test("pipelined requests go upstream one at a time on one pooled connection and are answered in order")
    func pipelinedOnOneConnection() async throws {
        let connection = try await Self.connection(upstream: Self.echoRequestLine())
        let reply = try connection.exchange(
            "GET /api/a HTTP/1.1\r\nHost: g\r\n\r\nGET /api/b HTTP/1.1\r\nHost: g\r\n\r\nGET /api/c HTTP/1.1\r\nHost: g\r\n\r\n"
        )
        #expect(GatewayHTTPSemanticsTests.statusLines(reply) == ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "HTTP/1.1 200 OK"], "\(reply)")
        let a = try #require(reply.range(of: "GET /api/a HTTP/1.1"))
        let b = try #require(reply.range(of: "GET /api/b HTTP/1.1"))
        let c = try #require(reply.range(of: "GET /api/c HTTP/1.1"))
        #expect(a.upperBound <= b.lowerBound && b.upperBound <= c.lowerBound)
        #expect(connection.upstreams.count == 1)
        #expect(connection.channel.isActive)
    }

    @Test("an upstream response with Connection: close is not pooled: the next request opens a new connection")
    func upstreamCloseIsNotReused() async throws {
        let connection = try await Self.connection(upstream: Self.echoRequestLine(extraHeaders: "connection: close\r\n"))
        for path in ["a", "b"] {
            let reply = try connection.exchange("GET /api/\(path) HTTP/1.1\r\nHost: g\r\n\r\n")
            #expect(reply.hasPrefix("HTTP/1.1 200 OK"), "\(reply)")
            // The client's connection stays: `connection` is hop-by-hop.
            #expect(!reply.lowercased().contains("connection: close"), "\(reply)")
        }
        #expect(connection.upstreams.count == 2)
        #expect(!connection.upstreams[0].isActive)
    }

    @Test("an upstream that closes before its response head: 502, and the client connection serves on")
    func upstreamClosesBeforeHead() async throws {
        let connection = try await Self.connection()
        #expect(try connection.exchange("GET /api/a HTTP/1.1\r\nHost: g\r\n\r\n").isEmpty)
        let upstream = try #require(connection.upstreams.first)
        try await upstream.close()
        let reply = try connection.readResponse()
        #expect(reply.hasPrefix("HTTP/1.1 502 Bad Gateway"), "\(reply)")
        #expect(connection.channel.isActive)
    }

    @Test("an upstream that closes after its head: the client connection is closed, the body never looks whole")
    func upstreamClosesAfterHead() async throws {
        let connection = try await Self.connection { _ in ByteBuffer(string: "HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc") }
        let reply = try connection.exchange("GET /api/a HTTP/1.1\r\nHost: g\r\n\r\n")
        #expect(reply.hasPrefix("HTTP/1.1 200 OK") && reply.hasSuffix("abc"), "\(reply)")
        let upstream = try #require(connection.upstreams.first)
        try await upstream.close()
        connection.channel.embeddedEventLoop.run()
        #expect(!connection.channel.isActive)
    }

    @Test("a response the parser refuses (length and chunks at once): 502, and that connection is closed")
    func refusedFraming() async throws {
        let connection = try await Self.connection { _ in
            ByteBuffer(string: "HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        }
        let reply = try connection.exchange("GET /api/a HTTP/1.1\r\nHost: g\r\n\r\n")
        #expect(reply.hasPrefix("HTTP/1.1 502 Bad Gateway"), "\(reply)")
        #expect(!reply.contains("abc"))
        #expect(connection.upstreams.first?.isActive == false)
    }

    @Test("a chunked upstream body reaches an HTTP/1.1 client chunked, and an HTTP/1.0 client close-delimited")
    func chunkedBody() async throws {
        let upstream: EmbeddedGatewayConnection.Upstream = { _ in
            ByteBuffer(string: "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        }
        let modern = try await Self.connection(upstream: upstream)
        let chunked = try modern.exchange("GET /api/a HTTP/1.1\r\nHost: g\r\n\r\n")
        #expect(chunked.lowercased().contains("transfer-encoding: chunked"), "\(chunked)")
        #expect(chunked.hasSuffix("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"), "\(chunked)")
        let old = try await Self.connection(upstream: upstream)
        let closeDelimited = try old.exchange("GET /api/a HTTP/1.0\r\n\r\n")
        #expect(closeDelimited.hasPrefix("HTTP/1.0 200 OK"), "\(closeDelimited)")
        #expect(!closeDelimited.lowercased().contains("transfer-encoding"))
        #expect(closeDelimited.hasSuffix("\r\n\r\nhello world"), "\(closeDelimited)")
        old.channel.embeddedEventLoop.run()
        #expect(!old.channel.isActive)
    }

    @Test("Expect: 100-continue: the gateway answers 100 itself, never forwards Expect, then streams the body")
    func expectContinue() async throws {
        let connection = try await Self.connection { request in
            String(buffer: request).hasSuffix("hello") ? ByteBuffer(string: "HTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n") : nil
        }
        let interim = try connection.exchange("POST /api/a HTTP/1.1\r\nHost: g\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        #expect(interim == "HTTP/1.1 100 Continue\r\n\r\n", "\(interim)")
        let reply = try connection.exchange("hello")
        #expect(reply.hasPrefix("HTTP/1.1 201 Created"), "\(reply)")
        let upstream = try #require(connection.upstreams.first)
        #expect(upstream.isActive)
    }

    @Test("an upstream that answers before the request body ended: the answer is forwarded and that connection is not reused")
    func earlyUpstreamAnswer() async throws {
        let connection = try await Self.connection { request in
            String(buffer: request).hasPrefix("POST") ? ByteBuffer(string: "HTTP/1.1 413 Content Too Large\r\ncontent-length: 0\r\n\r\n") : nil
        }
        let reply = try connection.exchange("POST /api/a HTTP/1.1\r\nHost: g\r\nContent-Length: 10\r\n\r\nhello")
        #expect(reply.hasPrefix("HTTP/1.1 413"), "\(reply)")
        #expect(connection.upstreams.first?.isActive == false)
    }

    static let upgradeRequest =
        "GET /api/ws HTTP/1.1\r\nHost: g\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"

    @Test("Upgrade: after the upstream's 101 both connections are spliced as bytes, the client's early bytes first, until the upstream closes")
    func upgradeTunnel() async throws {
        let connection = try await Self.connection { request in
            let text = String(buffer: request)
            if text.hasPrefix("GET /ws HTTP/1.1") || text.hasPrefix("GET /api/ws") || text.contains("upgrade: websocket") {
                return ByteBuffer(
                    string: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\nserver-hello"
                )
            }
            return ByteBuffer(string: "echo:" + text)
        }
        let reply = try connection.exchange(Self.upgradeRequest + "early-bytes")
        #expect(reply.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"), "\(reply)")
        #expect(reply.lowercased().contains("\r\nupgrade: websocket\r\n"), "\(reply)")
        #expect(reply.lowercased().contains("\r\nconnection: upgrade\r\n"), "\(reply)")
        #expect(reply.contains("server-hello"))
        #expect(reply.hasSuffix("echo:early-bytes"), "\(reply)")
        #expect(!reply.lowercased().contains("content-length"))
        #expect(!reply.lowercased().contains("transfer-encoding"))
        #expect(try connection.exchange("ping") == "echo:ping")
        let upstream = try #require(connection.upstreams.first)
        try await upstream.close()
        connection.channel.embeddedEventLoop.run()
        #expect(!connection.channel.isActive)
    }

    @Test("Upgrade: the request upstream asks for the upgrade again, with the client's end-to-end headers")
    func upgradeRequestHeaders() async throws {
        let connection = try await Self.connection()
        _ = try connection.exchange(Self.upgradeRequest)
        let upstream = try #require(connection.upstreams.first)
        var sent = ""
        while let data = try upstream.readOutbound(as: IOData.self) {
            if case .byteBuffer(let bytes) = data { sent += String(buffer: bytes) }
        }
        #expect(sent.hasPrefix("GET /ws HTTP/1.1\r\n") || sent.hasPrefix("GET /api/ws HTTP/1.1\r\n"), "\(sent)")
        #expect(sent.contains("\r\nconnection: upgrade\r\n"), "\(sent)")
        #expect(sent.contains("\r\nupgrade: websocket\r\n"), "\(sent)")
        #expect(sent.contains("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"), "\(sent)")
        #expect(!sent.contains("keep-alive"), "\(sent)")
    }

    @Test("Upgrade without credentials: 401, the connection closes, and no upstream connection is opened")
    func unauthenticatedUpgrade() async throws {
        let connection = try await Self.connection(upstream: Self.echoRequestLine())
        let reply = try connection.exchange(Self.upgradeRequest.replacingOccurrences(of: "/api/ws", with: "/private/ws"))
        #expect(reply.hasPrefix("HTTP/1.1 401"), "\(reply)")
        #expect(connection.upstreams.isEmpty)
        connection.channel.embeddedEventLoop.run()
        #expect(!connection.channel.isActive)
    }

    @Test("Upgrade the upstream declines: its answer is forwarded and the client connection closes after it")
    func declinedUpgrade() async throws {
        let connection = try await Self.connection(upstream: Self.echoRequestLine())
        let reply = try connection.exchange(Self.upgradeRequest + "not-http-anymore")
        #expect(reply.hasPrefix("HTTP/1.1 200 OK"), "\(reply)")
        #expect(reply.lowercased().contains("connection: close"), "\(reply)")
        connection.channel.embeddedEventLoop.run()
        #expect(!connection.channel.isActive)
    }
}
