import NIOCore
import NIOEmbedded
import PortcullisConfig
import PortcullisMetrics
import Testing

@_spi(Benchmarks) @testable import PortcullisGateway

/// The connection handler alone on an `EmbeddedChannel`: no sockets, no sleeps. Requests go in as
/// bytes through NIO's HTTP/1 server pipeline, answers come out as bytes.
@Suite("HTTP connection handler")
struct HTTPConnectionHandlerTests {
    static let config = """
        \(GatewayConfigs.users)

        [[service]]
        name = "hello"
        basePath = "/hello"
          [[service.auth]]
          fileUserStoreConfig = {}
          scopes = ["read"]
          [[service.resource]]
          path = "/"
          respond = { status = 200, body = "Hello" }
          [[service.resource]]
          path = "/public"
          auth = []
          respond = { status = 200, body = "Public" }
        """

    /// One gateway connection on an `EmbeddedChannel`, with the suite's routes.
    static func connection() async throws -> EmbeddedGatewayConnection {
        try await EmbeddedGatewayConnection(
            config: try ConfigLoader.parse(Self.config, file: "handler.toml"),
            metrics: PortcullisMetrics(),
            logger: GatewayHarness.quietLogger
        )
    }

    static let bob = "Authorization: Basic Ym9iOmJvYjEyMw==\r\n"  // bob:bob123, scope read
    static let alice = "Authorization: Basic YWxpY2U6YWxpY2UxMjM=\r\n"  // alice:alice123, no scope read

    @Test("pipelined requests: every answer, in order, with cached credentials decided on the loop")
    func pipelined() async throws {
        let connection = try await Self.connection()
        let channel = connection.channel
        let reply = try connection.exchange(
            "GET /hello/ HTTP/1.1\r\nHost: a\r\n\r\n"
                + "GET /hello/ HTTP/1.1\r\nHost: a\r\n\(Self.bob)\r\n"
                + "GET /hello/ HTTP/1.1\r\nHost: a\r\n\(Self.alice)\r\n"
                + "GET /nowhere HTTP/1.1\r\nHost: a\r\n\r\n"
                + "GET /hello/public HTTP/1.1\r\nHost: a\r\n\r\n"
        )
        #expect(GatewayHTTPSemanticsTests.statusLines(reply) == [
            "HTTP/1.1 401 Unauthorized", "HTTP/1.1 200 OK", "HTTP/1.1 403 Forbidden", "HTTP/1.1 404 Not Found", "HTTP/1.1 200 OK",
        ], "\(reply)")
        #expect(reply.contains("www-authenticate: Basic realm=\"portcullis\""))
        #expect(reply.hasSuffix("Public"))
        #expect(channel.isActive)
        _ = try? channel.finish()
    }

    @Test("an early answer to a request with a body closes the connection instead of reading the upload")
    func earlyAnswerWithBody() async throws {
        let connection = try await Self.connection()
        let channel = connection.channel
        let reply = try connection.exchange("POST /hello/ HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\npartial")
        #expect(reply.hasPrefix("HTTP/1.1 401 Unauthorized"), "\(reply)")
        #expect(reply.lowercased().contains("connection: close"))
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
    }

    @Test("Connection: close and HTTP/1.0 end the connection after the answer")
    func connectionClose() async throws {
        for request in ["GET /hello/public HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", "GET /hello/public HTTP/1.0\r\n\r\n"] {
            let connection = try await Self.connection()
            let channel = connection.channel
            let reply = try connection.exchange(request)
            #expect(reply.hasPrefix("HTTP/1.1 200 OK") || reply.hasPrefix("HTTP/1.0 200 OK"), "\(reply)")
            #expect(reply.lowercased().contains("connection: close"))
            channel.embeddedEventLoop.run()
            #expect(!channel.isActive)
        }
    }

    @Test("a header block over 16 KiB gets 431 and the connection closes")
    func oversizedHeaders() async throws {
        let connection = try await Self.connection()
        let channel = connection.channel
        let reply = try connection.exchange("GET /hello/ HTTP/1.1\r\nHost: a\r\nX-Pad: \(String(repeating: "p", count: 17_000))\r\n\r\n")
        #expect(reply.hasPrefix("HTTP/1.1 431"), "\(reply)")
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
    }

    /// The connection's handler, to move its clock by hand.
    static func handler(_ connection: EmbeddedGatewayConnection) throws -> HTTPConnectionHandler {
        try connection.channel.pipeline.syncOperations.handler(type: HTTPConnectionHandler.self)
    }

    @Test("a head begun on a keep-alive connection and not finished within the header timeout gets 408 and a close")
    func headerTimeoutOnLaterRequest() async throws {
        let connection = try await Self.connection()
        let channel = connection.channel
        let handler = try Self.handler(connection)
        #expect(try connection.exchange("GET /hello/public HTTP/1.1\r\nHost: a\r\n\r\n").hasPrefix("HTTP/1.1 200 OK"))
        #expect(try connection.exchange("GET /hello/public HTTP/1.1\r\nHost: a\r\n").isEmpty)
        let begun = NIODeadline.now()
        // Before the header timeout (30 s here): nothing happens.
        handler.tick(now: begun + .seconds(29))
        #expect(try connection.readResponse().isEmpty)
        #expect(channel.isActive)
        handler.tick(now: begun + .seconds(31))
        let reply = try connection.readResponse()
        #expect(reply.hasPrefix("HTTP/1.1 408 Request Timeout"), "\(reply)")
        #expect(reply.lowercased().contains("connection: close"))
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
    }

    @Test("an idle keep-alive connection outlives the header timeout and is closed without a response at the idle timeout")
    func idleTimeout() async throws {
        let connection = try await Self.connection()
        let channel = connection.channel
        let handler = try Self.handler(connection)
        #expect(try connection.exchange("GET /hello/public HTTP/1.1\r\nHost: a\r\n\r\n").hasPrefix("HTTP/1.1 200 OK"))
        let answered = NIODeadline.now()
        handler.tick(now: answered + .seconds(31))
        #expect(channel.isActive)
        handler.tick(now: answered + .seconds(61))
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
        #expect(try connection.readResponse().isEmpty)
    }

    @Test("after a half-close the requests read are answered in order, then the connection closes; idle, it closes at once")
    func halfClose() async throws {
        let connection = try await Self.connection()
        let channel = connection.channel
        try channel.writeInbound(ByteBuffer(string: "GET /hello/public HTTP/1.1\r\nHost: a\r\n\r\nGET /hello/ HTTP/1.1\r\nHost: a\r\n\(Self.bob)\r\n"))
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        channel.embeddedEventLoop.run()
        let reply = try connection.readResponse()
        #expect(GatewayHTTPSemanticsTests.statusLines(reply) == ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK"], "\(reply)")
        #expect(reply.hasSuffix("Hello"))
        #expect(!channel.isActive)

        let idle = try await Self.connection()
        #expect(try idle.exchange("GET /hello/public HTTP/1.1\r\nHost: a\r\n\r\n").hasPrefix("HTTP/1.1 200 OK"))
        idle.channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        idle.channel.embeddedEventLoop.run()
        #expect(!idle.channel.isActive)
    }
}
