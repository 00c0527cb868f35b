import AsyncHTTPClient
import NIOHTTP1
import Testing
import PortcullisTestSupport

/// Bad input is answered, never crashed on, and never changes what the gateway does next.
@Suite("Gateway bad input")
struct GatewayBadInputTests {
    @Test("malformed Basic credentials get 401 with the challenge", arguments: [
        "Basic !!!notbase64",
        "Basic YWxpY2UxMjM=",  // no colon
        "Basic OmFsaWNlMTIz",  // empty user
        "Basic",
        "Basic a b",
        "Bearer abc",  // a scheme this route does not accept
        "Digest username=alice",
        "",
    ])
    func malformed(header: String) async throws {
        try await GatewayHarness.run(GatewayConfigs.gateway) { gateway in
            let response = try await gateway.get("/api/x", headers: [("Authorization", header)])
            #expect(response.status == 401)
            #expect(response.headers["www-authenticate"] == [#"Basic realm="portcullis""#])
            #expect(response.body.isEmpty)
            // The gateway still serves good requests afterwards.
            try await gateway.expect(200, "/api/x", headers: [GatewayPolicyTests.basic("alice", "alice123")])
        }
    }

    @Test("non-UTF-8 credentials get 401")
    func nonUTF8() async throws {
        try await GatewayHarness.run(GatewayConfigs.gateway) { gateway in
            // Base64 of 0xff 0xfe ':' 'x', then raw 0xff bytes in the header itself.
            for credential: [UInt8] in [Array("//46eA==".utf8), [0xff, 0xfe, 0x41]] {
                let request: [UInt8] =
                    Array("GET /api/x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: Basic ".utf8)
                    + credential + Array("\r\n\r\n".utf8)
                let reply = try await RawHTTP.exchange(port: gateway.gatewayPort, request: request)
                #expect(reply.hasPrefix("HTTP/1.1 401") || reply.hasPrefix("HTTP/1.1 400"), "\(reply)")
            }
        }
    }

    @Test("a 10 KB Authorization header gets 401; a header block over 16 KiB gets 431")
    func oversized() async throws {
        try await GatewayHarness.run(GatewayConfigs.gateway) { gateway in
            let ten = try await gateway.get("/api/x", headers: [("Authorization", "Basic " + String(repeating: "A", count: 10_000))])
            #expect(ten.status == 401)
            let twenty = try await gateway.get("/api/x", headers: [("X-Padding", String(repeating: "p", count: 20_000))])
            #expect(twenty.status == 431)
            try await gateway.expect(200, "/api/x", headers: [GatewayPolicyTests.basic("alice", "alice123")])
        }
    }

    @Test("dot segments and encoded slashes are refused before routing", arguments: [
        "/shop/public/../items/1", "/shop/public/%2e%2e/items/1", "/shop/public/.%2E/items/1",
        "/shop/public/a%2Fb", "/shop/public/./x", "/shop/public/a%5cb",
    ])
    func ambiguousPaths(path: String) async throws {
        try await GatewayHarness.run(GatewayConfigs.gateway) { gateway in
            let request = "GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
            let reply = try await RawHTTP.exchange(port: gateway.gatewayPort, request: Array(request.utf8))
            #expect(reply.hasPrefix("HTTP/1.1 400"), "\(reply)")
        }
    }
}
