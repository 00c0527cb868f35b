import NIOCore
import NIOHTTP1
import PortcullisConfig

/// A response the gateway makes itself, built once at load: status, headers (with
/// `content-length`) and body. Only `date` (and `connection` where needed) is added per request.
struct FixedAnswer: Sendable {
    let head: HTTPResponseHead
    let body: ByteBuffer

    init(status: HTTPResponseStatus, headers: [(String, String)] = [], body: ByteBuffer = ByteBuffer()) {
        var fields = HTTPHeaders(headers)
        fields.add(name: "content-length", value: String(body.readableBytes))
        self.head = HTTPResponseHead(version: .http1_1, status: status, headers: fields)
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

    static let badRequest = FixedAnswer(status: .badRequest)
    static let notFound = FixedAnswer(status: .notFound)
    static let headerFieldsTooLarge = FixedAnswer(status: .requestHeaderFieldsTooLarge)
    static let badGateway = FixedAnswer(status: .badGateway)
    static let gatewayTimeout = FixedAnswer(status: .gatewayTimeout)
    static let serviceUnavailable = FixedAnswer(status: .serviceUnavailable, headers: [("retry-after", "5")])
}
