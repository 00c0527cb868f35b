import HTTPTypes
import Hummingbird
import PortcullisAuth

extension PolicyDecision {
    /// The response that refuses the request, or `nil` when the decision allows it.
    ///
    /// `401` and `403` have empty bodies, `content-length: 0` and the decision's `WWW-Authenticate`
    /// challenges; `503` carries `retry-after`. Nothing says which check failed.
    public var rejection: Response? {
        let status: HTTPResponse.Status
        var headers = HTTPFields()
        switch self.outcome {
        case .allowed:
            return nil
        case .unauthenticated:
            status = .unauthorized
        case .forbidden:
            status = .forbidden
        case .unavailable:
            status = .serviceUnavailable
            headers[.retryAfter] = Self.retryAfterSeconds
        }
        for challenge in self.challenges {
            headers.append(HTTPField(name: .wwwAuthenticate, value: challenge))
        }
        headers[.contentLength] = "0"
        return Response(status: status, headers: headers, body: .init())
    }
}
