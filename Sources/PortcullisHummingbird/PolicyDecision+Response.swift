import HTTPTypes
import Hummingbird
import Logging
import PortcullisAuth

extension PolicyDecision {
    /// Seconds a client should wait after a `503` before trying again.
    public static let retryAfterSeconds = "5"

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

    /// Logs why the request was refused at debug level: outcome and failure reasons, never
    /// credentials (``AuthFailure`` descriptions carry none).
    public func logRejection(to logger: Logger, service: String? = nil) {
        // Refusals are the hot 401 path: build nothing unless the line will be written.
        guard logger.logLevel <= .debug else { return }
        var metadata: Logger.Metadata = [
            "outcome": "\(self.outcome.rawValue)",
            "reasons": "\(self.failures.map(\.description).joined(separator: "; "))",
        ]
        if let service { metadata["service"] = "\(service)" }
        logger.debug("request not authorized", metadata: metadata)
    }
}
