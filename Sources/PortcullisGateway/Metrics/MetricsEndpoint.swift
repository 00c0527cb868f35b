import Hummingbird
import PortcullisConfig
import PortcullisMetrics

/// The Prometheus scrape endpoint, served by its own listener so that scrapes never queue
/// behind gateway traffic and never pass through its auth.
enum MetricsEndpoint {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    static func router(config: MetricsConfig, metrics: PortcullisMetrics) -> Router<BasicRequestContext> {
        let router = Router()
        router.get(RouterPath(config.path)) { _, _ -> Response in
            let body = metrics.exposition()
            return Response(
                status: .ok,
                headers: [.contentType: Self.contentType, .contentLength: String(body.count)],
                body: .init(byteBuffer: ByteBuffer(bytes: body))
            )
        }
        return router
    }
}
