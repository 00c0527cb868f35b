import Hummingbird
import PortcullisConfig
import PortcullisMetrics

/// The metrics listener's routes, on a listener of its own so that scrapes and probes never
/// queue behind gateway traffic and never pass through its auth: the Prometheus exposition at
/// `metrics.path`, `/livez` (the process serves) and `/readyz` (``Readiness``: `200`, or `503`
/// with what is not ready).
enum MetricsEndpoint {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    static func router(config: MetricsConfig, metrics: PortcullisMetrics, readiness: Readiness) -> Router<BasicRequestContext> {
        let router = Router()
        router.get(RouterPath(config.path)) { _, _ -> Response in
            let body = metrics.exposition()
            return Response(
                status: .ok,
                headers: [.contentType: Self.contentType, .contentLength: String(body.count)],
                body: .init(byteBuffer: ByteBuffer(bytes: body))
            )
        }
        router.get("/livez") { _, _ -> Response in
            Self.json(.ok, #"{"status":"live"}"#)
        }
        router.get("/readyz") { _, _ -> Response in
            let failing = readiness.failing()
            guard !failing.isEmpty else { return Self.json(.ok, #"{"status":"ready"}"#) }
            let list = failing.map { "\"\(Self.escaped($0))\"" }.joined(separator: ",")
            return Self.json(.serviceUnavailable, #"{"status":"not ready","failing":["# + list + "]}")
        }
        return router
    }

    private static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json", .contentLength: String(body.utf8.count), .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: body + "\n"))
        )
    }

    /// A JSON string's contents: quotes, backslashes and controls escaped.
    private static func escaped(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case _ where scalar.value < 0x20: result += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
