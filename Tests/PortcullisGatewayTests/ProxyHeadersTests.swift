import NIOHTTP1
import PortcullisAuth
import PortcullisConfig
import Testing

@testable import PortcullisGateway

/// Header rewriting toward the upstream, which is not validated again by NIO: every value the
/// gateway adds must be a valid field value, or the request is not sent.
@Suite("Proxy headers")
struct ProxyHeadersTests {
    static let target = UpstreamTarget(
        url: UpstreamURL(scheme: "http", host: "127.0.0.1", port: 8080),
        client: UpstreamClientConfig(),
        hideCredentials: false,
        forwardIdentity: true,
        credential: nil
    )

    static func headers(subject: String, authorization: String? = nil) -> HTTPHeaders? {
        ProxyHeaders.upstreamHeaders(
            from: ["Host": "gateway", "Connection": "close, X-Hop", "X-Hop": "1", "Accept": "*/*"],
            downstream: Downstream(
                clientAddress: "192.0.2.1",
                scheme: "https",
                principal: Principal(subject: subject, scopes: ["read", "write"], method: .jwt),
                clientCertificate: nil
            ),
            target: Self.target,
            authorization: authorization
        )
    }

    @Test("hop-by-hop and Connection-named headers go; identity, forwarding and Host are set")
    func rewritten() throws {
        let headers = try #require(Self.headers(subject: "alice"))
        #expect(headers["host"] == ["127.0.0.1:8080"])
        #expect(headers["x-forwarded-host"] == ["gateway"])
        #expect(headers["x-forwarded-for"] == ["192.0.2.1"])
        #expect(headers["x-forwarded-proto"] == ["https"])
        #expect(headers["x-auth-subject"] == ["alice"])
        #expect(headers["x-auth-scopes"] == ["read write"])
        #expect(headers["accept"] == ["*/*"])
        #expect(!headers.contains(name: "connection"))
        #expect(!headers.contains(name: "x-hop"))
    }

    @Test("an identity or a token that cannot be a header value: no headers, so no request", arguments: [
        ("alice\r\nX-Admin: 1", nil), ("alice\n", nil), ("a\u{0}b", nil), ("alice", "Bearer abc\r\nX: 1"),
    ] as [(String, String?)])
    func unsafeValues(subject: String, authorization: String?) {
        #expect(Self.headers(subject: subject, authorization: authorization) == nil)
    }

    @Test("every listed name has its role, whatever its case; other names are kept")
    func roles() {
        for name in ProxyHeaders.hopByHop {
            let expected: ProxyHeaders.Role = name == "connection" ? .connection : .hopByHop
            #expect(ProxyHeaders.role(of: name) == expected, "\(name)")
            #expect(ProxyHeaders.role(of: name.uppercased()) == expected, "\(name)")
        }
        for name in ProxyHeaders.identity {
            #expect(ProxyHeaders.role(of: name) == .identity, "\(name)")
        }
        for name in ProxyHeaders.forwarded {
            #expect(ProxyHeaders.role(of: name) == (name == "host" ? .host : .forwarded), "\(name)")
        }
        #expect(ProxyHeaders.role(of: "X-Forwarded-For") == .forwardedFor)
        #expect(ProxyHeaders.role(of: "Authorization") == .authorization)
        for name in ["accept", "content-length", "x-auth-subjects", "tee", "upgrades", "x-forwarded-port", "cookie"] {
            #expect(ProxyHeaders.role(of: name) == .kept, "\(name)")
        }
    }

    @Test("responses: hop-by-hop and Connection-named headers go; a response without them is passed on whole")
    func responseHeaders() {
        let upstream: HTTPHeaders = ["Content-Type": "text/plain", "Connection": "keep-alive, X-Private", "Keep-Alive": "timeout=5", "X-Private": "1", "ETag": "\"a\""]
        let forwarded = ProxyHeaders.clientHeaders(from: upstream)
        #expect(forwarded.map { $0.name } == ["Content-Type", "ETag"])
        let plain: HTTPHeaders = ["Content-Type": "text/plain", "Content-Length": "2"]
        #expect(ProxyHeaders.clientHeaders(from: plain).map { $0.name } == ["Content-Type", "Content-Length"])
    }

    @Test("field values: visible characters, spaces, tabs and obs-text pass; controls do not")
    func fieldValues() {
        #expect(ProxyHeaders.isFieldValue("Bearer eyJ.a-b_c~d+e/f="))
        #expect(ProxyHeaders.isFieldValue("tab\tand space, Müller"))
        #expect(!ProxyHeaders.isFieldValue("x\ry"))
        #expect(!ProxyHeaders.isFieldValue("x\u{7F}"))
        #expect(!ProxyHeaders.isFieldValue("x\u{1B}[31m"))
    }
}
