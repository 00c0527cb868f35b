import NIOCore
import NIOHTTP1
import PortcullisAuth
import PortcullisConfig
import PortcullisHTTP1

/// A response the gateway makes itself, built once at load: status, headers (with
/// `content-length`) and body. Only `date` (and `connection` where needed) is added per request.
struct FixedAnswer: Sendable {
    /// The head, for HTTP/2 streams.
    let head: HTTPResponseHead
    /// The head's header lines, serialised for HTTP/1 (`name: value\r\n` each).
    let fields: ByteBuffer
    let body: ByteBuffer

    init(status: HTTPResponseStatus, headers: [(String, String)] = [], body: ByteBuffer = ByteBuffer()) {
        var fields = HTTPHeaders(headers)
        fields.add(name: "content-length", value: String(body.readableBytes))
        self.head = HTTPResponseHead(version: .http1_1, status: status, headers: fields)
        var lines = ByteBuffer()
        for (name, value) in fields {
            lines.writeHTTPField(name, value)
        }
        self.fields = lines
        self.body = body
    }

    /// A `respond = { ... }` resource's answer.
    init(_ respond: RespondConfig) {
        self.init(
            status: HTTPResponseStatus(statusCode: respond.status),
            headers: [("content-type", respond.contentType)],
            body: ByteBuffer(string: respond.body)
        )
    }

    /// Serialises the whole HTTP/1 response into `buffer`, adding `date`, the identity headers of
    /// `identity` (`x-auth-subject`, `x-auth-scopes`, `x-auth-method`; the caller checked that
    /// they are valid field values) and, when given, `connection`; the body is left out for a
    /// `HEAD` request.
    func write(version: HTTPVersion, date: String, connection: StaticString?, forHEAD: Bool, identity: Principal? = nil, into buffer: inout ByteBuffer) {
        HTTP1ResponseWriter.writeStatusLine(version: version, status: self.head.status, into: &buffer)
        buffer.writeImmutableBuffer(self.fields)
        if let identity {
            buffer.writeHTTPField("x-auth-subject", identity.subject)
            // Space-separated, written in place: no joined string per answer.
            buffer.writeStaticString("x-auth-scopes: ")
            for (index, scope) in identity.scopes.enumerated() {
                if index > 0 { buffer.writeStaticString(" ") }
                buffer.writeString(scope)
            }
            buffer.writeStaticString("\r\n")
            buffer.writeHTTPField("x-auth-method", identity.method.rawValue)
        }
        buffer.writeHTTPField("date", date)
        if let connection {
            buffer.writeHTTPField("connection", connection)
        }
        buffer.writeStaticString("\r\n")
        if !forHEAD {
            buffer.writeImmutableBuffer(self.body)
        }
    }

    /// The bytes ``write(version:date:connection:forHEAD:identity:into:)`` needs at most.
    func serialisedSize(identity: Principal? = nil) -> Int {
        var size = self.fields.readableBytes + self.body.readableBytes + 120
        if let identity {
            size += 64 + identity.subject.utf8.count
            for scope in identity.scopes { size += scope.utf8.count + 1 }
        }
        return size
    }

    static let badRequest = FixedAnswer(status: .badRequest)
    /// A forward-auth decision that lets the request through (identity headers added per answer).
    static let decisionAllowed = FixedAnswer(status: .ok)
    static let notFound = FixedAnswer(status: .notFound)
    static let requestTimeout = FixedAnswer(status: .requestTimeout)
    static let headerFieldsTooLarge = FixedAnswer(status: .requestHeaderFieldsTooLarge)
    static let badGateway = FixedAnswer(status: .badGateway)
    static let gatewayTimeout = FixedAnswer(status: .gatewayTimeout)
    static let serviceUnavailable = FixedAnswer(status: .serviceUnavailable, headers: [("retry-after", "5")])
}
