import NIOCore
import PortcullisHTTP1
import NIOHTTP1
import PortcullisConfig

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

    /// Serialises the whole HTTP/1 response into `buffer`, adding `date` and, when given,
    /// `connection`; the body is left out for a `HEAD` request.
    func write(version: HTTPVersion, date: String, connection: StaticString?, forHEAD: Bool, into buffer: inout ByteBuffer) {
        HTTP1ResponseWriter.writeStatusLine(version: version, status: self.head.status, into: &buffer)
        buffer.writeImmutableBuffer(self.fields)
        buffer.writeHTTPField("date", date)
        if let connection {
            buffer.writeHTTPField("connection", connection)
        }
        buffer.writeStaticString("\r\n")
        if !forHEAD {
            buffer.writeImmutableBuffer(self.body)
        }
    }

    /// The bytes ``write(version:date:connection:forHEAD:into:)`` needs at most.
    var serialisedSize: Int { self.fields.readableBytes + self.body.readableBytes + 120 }

    static let badRequest = FixedAnswer(status: .badRequest)
    static let notFound = FixedAnswer(status: .notFound)
    static let requestTimeout = FixedAnswer(status: .requestTimeout)
    static let headerFieldsTooLarge = FixedAnswer(status: .requestHeaderFieldsTooLarge)
    static let badGateway = FixedAnswer(status: .badGateway)
    static let gatewayTimeout = FixedAnswer(status: .gatewayTimeout)
    static let serviceUnavailable = FixedAnswer(status: .serviceUnavailable, headers: [("retry-after", "5")])
}
