import Hummingbird
import HummingbirdTesting
import PortcullisAuth
import PortcullisConfig
import PortcullisHummingbird
import Testing

@Suite("Hummingbird middleware")
struct PortcullisAuthMiddlewareTests {
    static func application() -> some ApplicationProtocol {
        let store = FileUserStore(users: [
            FileUserConfig(username: "alice", password: .plain("alice123")),
            FileUserConfig(username: "bob", password: .plain("bob123"), scopes: ["read"]),
        ])
        let router = Router(context: BasicAuthenticatedRequestContext.self)
        router.get("/public") { _, _ in "open" }
        router.add(middleware: PortcullisAuthMiddleware(entries: [AuthEntry(authenticator: store, scopes: ["read"])]))
        router.get("/hello") { _, context in "Hello, \(context.principal?.subject ?? "nobody")!" }
        return Application(router: router)
    }

    @Test("routes after the middleware need a principal with the scope; earlier routes stay public")
    func enforces() async throws {
        try await Self.application().test(.router) { client in
            try await client.execute(uri: "/public", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/hello", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == #"Basic realm="portcullis""#)
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/hello", method: .get, headers: [.authorization: "Basic YWxpY2U6YWxpY2UxMjM="]) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/hello", method: .get, headers: [.authorization: "Basic Ym9iOmJvYjEyMw=="]) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "Hello, bob!")
            }
        }
    }
}
