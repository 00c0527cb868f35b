import HTTPTypes
import Hummingbird

/// The gateway's own answers: empty bodies, explicit `content-length: 0`.
enum GatewayResponses {
    static func empty(_ status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentLength] = "0"
        return Response(status: status, headers: headers, body: .init())
    }

    static func challenge(_ status: HTTPResponse.Status, challenges: [String]) -> Response {
        var headers = HTTPFields()
        for challenge in challenges {
            headers.append(HTTPField(name: .wwwAuthenticate, value: challenge))
        }
        return self.empty(status, headers: headers)
    }

    /// Seconds a client should wait after a `503` before trying again.
    static let retryAfterSeconds = "5"
}
