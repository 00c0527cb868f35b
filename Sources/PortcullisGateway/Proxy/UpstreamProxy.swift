import AsyncHTTPClient
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import PortcullisAuth
import PortcullisConfig

/// Forwards authorized requests to upstreams over a pooled, keep-alive HTTP client.
///
/// Bodies stream both ways; redirects are passed to the client, never followed; an upstream that
/// cannot be reached gives `502`, one that does not answer within the service's timeout `504`.
final class UpstreamProxy: Sendable {
    /// Connections kept per upstream host. async-http-client's default of 8 would serialize a
    /// gateway's traffic; this matches the concurrency a single upstream usually takes.
    static let connectionsPerHost = 256

    let client: HTTPClient

    /// - Parameter readTimeout: the longest pause allowed while a response body streams; the
    ///   per-service `timeoutSeconds` bounds the wait for the response head.
    init(eventLoopGroup: any EventLoopGroup, readTimeout: TimeAmount) {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.timeout = .init(connect: .seconds(5), read: readTimeout)
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60),
            concurrentHTTP1ConnectionsPerHostSoftLimit: Self.connectionsPerHost
        )
        configuration.httpVersion = .automatic
        // Portcullis bootstraps no tracer; without this, every request still builds a span and its
        // attributes against the no-op tracer (4% of the proxy path's CPU in a perf profile).
        configuration.tracing.tracer = nil
        self.client = HTTPClient(eventLoopGroupProvider: .shared(eventLoopGroup), configuration: configuration)
    }

    func shutdown() async {
        try? await self.client.shutdown()
    }

    enum Failure: Error {
        case unreachable(String)
        case timedOut
    }

    /// Sends `request` to `target` and returns the upstream's response, body still streaming.
    ///
    /// `target.timeout` bounds the time until the response head arrives (`504` after it).
    func forward(
        _ request: Request,
        to target: UpstreamTarget,
        clientAddress: String?,
        principal: Principal?,
        logger: Logger
    ) async throws(Failure) -> Response {
        var outbound = HTTPClientRequest(url: target.url.origin + target.url.pathPrefix + (request.head.path ?? "/"))
        outbound.method = HTTPMethod(rawValue: request.method.rawValue)
        outbound.headers = ProxyHeaders.upstreamHeaders(
            from: request.headers,
            authority: request.head.authority,
            clientAddress: clientAddress,
            target: target,
            principal: principal
        )
        if let length = request.headers[.contentLength].flatMap({ Int($0) }) {
            if length > 0 {
                outbound.body = .stream(request.body, length: .known(Int64(length)))
            }
        } else if request.headers[.transferEncoding] != nil {
            outbound.body = .stream(request.body, length: .unknown)
        }
        let response: HTTPClientResponse
        do {
            // The client's own logs are trace-level; handing it a logger with metadata costs a
            // metadata copy and re-rendering per request (5% of the proxy path's CPU with the
            // stream log handler), so it gets one only when those logs can be seen.
            response = try await self.client.execute(
                outbound,
                timeout: .init(target.timeout),
                logger: logger.logLevel <= .debug ? logger : nil
            )
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw .timedOut
        } catch {
            throw .unreachable(String(describing: error))
        }
        return Response(
            status: .init(code: Int(response.status.code), reasonPhrase: response.status.reasonPhrase),
            headers: ProxyHeaders.clientHeaders(from: response.headers),
            body: ResponseBody(asyncSequence: response.body)
        )
    }
}

extension TimeAmount {
    fileprivate init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
