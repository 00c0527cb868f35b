import NIOCore
import NIOHTTP1
import PortcullisHTTP1
import PropertyBased
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

    /// Response field lines from names that matter to a proxy (hop-by-hop ones, framing, names a
    /// `Connection` may list) in any case, with whitespace around values.
    static let responseFields = Gen.element(of: [
        "Content-Type: text/plain", "content-length: 2", "Connection: keep-alive", "connection: close, X-Private",
        "Connection: Content-Length", "Keep-Alive: timeout=5", "X-Private:  1 ", "x-private:\t2", "ETag: \"a\"",
        "Transfer-Encoding: gzip", "Upgrade: h2c", "TE: trailers", "Trailer: x", "Proxy-Connection: keep-alive",
        "Connection: ,, ,x-other", "X-Other: 3", "Set-Cookie: a=b", "Date: Wed, 02 Dec 2026 05:00:00 GMT",
    ])
    .map { $0 ?? "X-A: a" }
    .array(of: 0...8)

    @Test("property: an upstream response's field lines copied for an HTTP/1 client are the fields clientHeaders(from:) keeps")
    func clientFieldsMatchClientHeaders() async {
        await propertyCheck(count: 1000, input: Self.responseFields) { lines in
            let transferCoding = lines.contains { $0.lowercased().hasPrefix("transfer-encoding") }
            let lengths = lines.filter { $0.lowercased().hasPrefix("content-length") }.count
            guard lengths <= 1, !(transferCoding && lengths == 1) else { return }  // refused by the parser
            var parser = HTTP1ResponseParser()
            parser.expectResponse(toHEAD: true)
            parser.append(ByteBuffer(string: "HTTP/1.1 200 OK\r\n" + lines.map { $0 + "\r\n" }.joined() + "\r\n"))
            guard case .head(let head) = try? parser.next() else {
                Issue.record("not parsed: \(lines)")
                return
            }
            let expected = ProxyHeaders.clientHeaders(from: head.headers)
            for strippingFraming in [false, true] {
                let fields = ProxyHeaders.ClientFields(head)
                var written = ByteBuffer()
                fields.write(strippingFraming: strippingFraming, into: &written)
                var again = HTTP1ResponseParser()
                again.expectResponse(toHEAD: true)
                again.append(ByteBuffer(string: "HTTP/1.1 200 OK\r\n" + String(buffer: written) + "\r\n"))
                guard case .head(let copied) = try? again.next() else {
                    Issue.record("written lines not parsed: \(String(buffer: written))")
                    return
                }
                let kept = expected.filter { !strippingFraming || $0.name.lowercased() != "content-length" }
                #expect(copied.headers.map { "\($0.name)=\($0.value)" } == kept.map { "\($0.name)=\($0.value)" }, "\(lines)")
                #expect(fields.hasContentLength == expected.contains(name: "content-length"), "\(lines)")
            }
        }
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
