import HTTPTypes
import Hummingbird

/// The gateway's own answers outside auth (`400`, `404`, `405`, `431`, `502`, `504`): empty bodies,
/// explicit `content-length: 0`. Auth refusals come from `PolicyDecision.rejection`.
enum GatewayResponses {
    static func empty(_ status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentLength] = "0"
        return Response(status: status, headers: headers, body: .init())
    }
}
