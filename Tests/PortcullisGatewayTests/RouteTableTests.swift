import NIOHTTP1
import HTTPTypes
import HummingbirdCore
import PortcullisAuth
import PortcullisAuthEngine
import PortcullisConfig
import PortcullisMetrics
import Testing

@_spi(Benchmarks) @testable import PortcullisGateway

/// Routing without sockets: which route owns which path.
@Suite("Route table")
struct RouteTableTests {
    static let config = """
        [[service]]
        name = "root"
        basePath = "/"
        upstream = "http://127.0.0.1:1"

        [[service]]
        name = "shop"
        basePath = "/shop"
          [[service.resource]]
          path = "/items/special"
          respond = { body = "literal" }
          [[service.resource]]
          path = "/items/{id}"
          respond = { body = "param" }
          [[service.resource]]
          path = "/items/**"
          respond = { body = "rest-of-path" }
          [[service.resource]]
          methods = ["PUT"]
          path = "/cart"
          respond = { body = "cart" }
          [[service.resource]]
          path = "/"
          respond = { body = "home-index" }
        """

    static func table() async throws -> RouteTable {
        let config = try ConfigLoader.parse(Self.config, file: "routes.toml")
        let metrics = PortcullisMetrics()
        return RouteTable(config: config, engine: try await AuthEngine.load(config: config, metrics: metrics), metrics: metrics)
    }

    /// The body of the fixed response the route answers with, or what else matched.
    static func resolve(_ table: RouteTable, _ method: String, _ target: String) throws -> String {
        switch table.match(method: method, path: try RequestPath(target: target)) {
        case .notFound: return "404"
        case .methodNotAllowed(_, let allow): return "405 " + allow.joined(separator: ",")
        case .route(let route):
            switch route.action {
            case .proxy: return "proxy:\(route.service.name)"
            case .decisionsOnly: return "decisions:\(route.service.name)"
            case .respond(let response):
                guard let length = response.head.headers.first(name: "content-length") else { return "?" }
                return "respond:\(length)"
            }
        }
    }

    // Fixed responses are told apart by their lengths: literal 7, param 5, rest-of-path 12,
    // cart 4, home-index 10.

    @Test("literal segments beat {param}, which beats /**")
    func specificity() async throws {
        let table = try await Self.table()
        #expect(try Self.resolve(table, "GET", "/shop/items/special") == "respond:7")
        #expect(try Self.resolve(table, "GET", "/shop/items/42") == "respond:5")
        #expect(try Self.resolve(table, "GET", "/shop/items/42/reviews") == "respond:12")
        #expect(try Self.resolve(table, "GET", "/shop/items") == "respond:12")
        #expect(try Self.resolve(table, "GET", "/shop") == "respond:10")
        #expect(try Self.resolve(table, "GET", "/shop/") == "respond:10")
    }

    @Test("method mismatches are 405 with the allowed methods; unknown paths 404")
    func methodsAndMisses() async throws {
        let table = try await Self.table()
        #expect(try Self.resolve(table, "PUT", "/shop/cart") == "respond:4")
        #expect(try Self.resolve(table, "GET", "/shop/cart") == "405 PUT")
        #expect(try Self.resolve(table, "GET", "/shop/other") == "404")
    }

    @Test("the longest base path wins; a base path matches whole segments only")
    func basePaths() async throws {
        let table = try await Self.table()
        #expect(try Self.resolve(table, "GET", "/shopping") == "proxy:root")
        #expect(try Self.resolve(table, "GET", "/") == "proxy:root")
        #expect(try Self.resolve(table, "DELETE", "/anything/else?x=1") == "proxy:root")
    }
}
