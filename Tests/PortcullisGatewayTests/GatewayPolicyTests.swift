import AsyncHTTPClient
import NIOHTTP1
import PortcullisTestSupport
import Testing

/// The auth policy of contract §4, over real HTTP on loopback.
@Suite("Gateway auth policy")
struct GatewayPolicyTests {
    static func basic(_ user: String, _ password: String) -> (String, String) {
        ("Authorization", "Basic " + Array("\(user):\(password)".utf8).base64())
    }

    @Test("401 without credentials: empty body, content-length 0, one Basic challenge")
    func unauthenticated() async throws {
        try await GatewayHarness.run(GatewayConfigs.gateway) { gateway in
            let response = try await gateway.get("/api/orders")
            #expect(response.status == 401)
            #expect(response.body.isEmpty)
            #expect(response.headers["content-length"] == ["0"])
            #expect(response.headers["www-authenticate"] == [#"Basic realm="portcullis""#])
        }
    }

    @Test("403 when authenticated without the scope: empty body, no Basic challenge")
    func forbidden() async throws {
        try await GatewayHarness.run(GatewayConfigs.gateway) { gateway in
            let response = try await gateway.get("/api/orders", headers: [Self.basic("bob", "bob123")])
            #expect(response.status == 403)
            #expect(response.body.isEmpty)
            #expect(response.headers["content-length"] == ["0"])
            #expect(response.headers["www-authenticate"].isEmpty)
        }
    }

    @Test("200 and proxied for a user with the scope; the scheme matches in any case")
    func allowed() async throws {
        try await GatewayHarness.run(GatewayConfigs.gateway) { gateway in
            for scheme in ["Basic", "basic", "BASIC"] {
                let value = scheme + " " + Array("alice:alice123".utf8).base64()
                let response = try await gateway.get("/api/orders", headers: [("Authorization", value)])
                #expect(response.status == 200)
                #expect(response.headers["x-upstream"] == ["echo"])
                #expect(try response.echoed().target == "/api/orders")
            }
        }
    }

    @Test("wrong passwords and unknown users get 401, bcrypt users authenticate")
    func passwords() async throws {
        try await GatewayHarness.run(GatewayConfigs.gateway) { gateway in
            try await gateway.expect(401, "/api/x", headers: [Self.basic("alice", "alice124")])
            try await gateway.expect(401, "/api/x", headers: [Self.basic("peter", "123")])
            try await gateway.expect(200, "/api/hidden/x", headers: [Self.basic("eve", "eve123")])
            try await gateway.expect(401, "/api/hidden/x", headers: [Self.basic("eve", "eve124")])
        }
    }

    @Test("resources override the service's auth; auth = [] is public")
    func resourceOverride() async throws {
        try await GatewayHarness.run(GatewayConfigs.gateway) { gateway in
            try await gateway.expect(200, "/shop/public/a/b")
            try await gateway.expect(200, "/shop/public")
            try await gateway.expect(401, "/shop/items/7")
            try await gateway.expect(200, "/shop/items/7", headers: [Self.basic("bob", "bob123")])
            try await gateway.expect(403, "/shop/items/7", headers: [Self.basic("alice", "alice123")])
            try await gateway.expect(200, "/shop/items/7", headers: [Self.basic("alice", "alice123")], method: .POST)
            try await gateway.expect(403, "/shop/items/7", headers: [Self.basic("bob", "bob123")], method: .POST)
        }
    }

    @Test("resources are the service's whole surface: 404 for other paths, 405 for other methods")
    func routing() async throws {
        try await GatewayHarness.run(GatewayConfigs.gateway) { gateway in
            let missing = try await gateway.get("/shop/nothing", headers: [Self.basic("bob", "bob123")])
            #expect(missing.status == 404)
            #expect(missing.body.isEmpty)
            try await gateway.expect(404, "/shop/items/7/extra")
            let wrongMethod = try await gateway.get("/shop/items/7", method: .DELETE)
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.headers["allow"] == ["GET, POST"])
            try await gateway.expect(404, "/nowhere")
            try await gateway.expect(404, "/apix")
        }
    }

    @Test("respond answers at the gateway, after auth")
    func respond() async throws {
        try await GatewayHarness.run(GatewayConfigs.gateway) { gateway in
            try await gateway.expect(401, "/shop/hello")
            let response = try await gateway.get("/shop/hello", headers: [Self.basic("bob", "bob123")])
            #expect(response.status == 200)
            #expect(response.text == "Hello, World!")
            #expect(response.headers["content-type"] == ["text/plain; charset=utf-8"])
            #expect(response.headers["x-upstream"].isEmpty)
        }
    }

    @Test("the longest base path wins")
    func longestBasePath() async throws {
        try await GatewayHarness.run(GatewayConfigs.gateway) { gateway in
            // /api needs "write"; /api/hidden only authentication: eve has no scopes.
            try await gateway.expect(200, "/api/hidden/x", headers: [Self.basic("eve", "eve123")])
            try await gateway.expect(403, "/api/other", headers: [Self.basic("eve", "eve123")])
        }
    }
}

extension Array where Element == UInt8 {
    /// Standard Base64 with padding, written out here so that tests do not share the code under test.
    func base64() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var output: [UInt8] = []
        var index = 0
        while index < self.count {
            let chunk = Array(self[index..<Swift.min(index + 3, self.count)])
            let value = (UInt32(chunk[0]) << 16) | (UInt32(chunk.count > 1 ? chunk[1] : 0) << 8) | UInt32(chunk.count > 2 ? chunk[2] : 0)
            output.append(alphabet[Int((value >> 18) & 63)])
            output.append(alphabet[Int((value >> 12) & 63)])
            output.append(chunk.count > 1 ? alphabet[Int((value >> 6) & 63)] : UInt8(ascii: "="))
            output.append(chunk.count > 2 ? alphabet[Int(value & 63)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }
}
