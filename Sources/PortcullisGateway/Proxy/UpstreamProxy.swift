import AsyncHTTPClient
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import PortcullisAuth
import PortcullisClientAuth
import PortcullisConfig

/// Forwards authorized requests to upstreams over a pooled, keep-alive HTTP client.
///
/// Bodies stream both ways; redirects are passed to the client, never followed; an upstream that
/// cannot be reached gives `502`, one that does not answer within the service's timeout `504`.
final class UpstreamProxy: Sendable {
    /// Connections kept per upstream host. async-http-client's default of 8 would serialize a
    /// gateway's traffic; this matches the concurrency a single upstream usually takes.
    static let connectionsPerHost = 256

    /// The largest request body buffered (instead of streamed) toward an upstream whose
    /// `upstreamClient.auth` is an OAuth2 grant, so the request can be repeated after a `401`.
    static let replayableBodySize = 64 * 1024

    /// The client for upstreams without `secureSocket` (HTTPS verified against the system roots).
    let client: HTTPClient
    /// One client per distinct upstream `secureSocket`, each with its own connection pool.
    private let tlsClients: [ClientSecureSocketConfig: HTTPClient]

    /// - Parameters:
    ///   - readTimeout: the longest pause allowed while a response body streams; the per-service
    ///     `timeoutSeconds` bounds the wait for the response head.
    ///   - tls: the loaded outbound TLS settings.
    init(eventLoopGroup: any EventLoopGroup, readTimeout: TimeAmount, tls: GatewayTLS? = nil) {
        let configuration = Self.configuration(readTimeout: readTimeout, tls: nil)
        self.client = HTTPClient(eventLoopGroupProvider: .shared(eventLoopGroup), configuration: configuration)
        var tlsClients: [ClientSecureSocketConfig: HTTPClient] = [:]
        for (settings, tlsConfiguration) in tls?.clients ?? [:] {
            tlsClients[settings] = HTTPClient(
                eventLoopGroupProvider: .shared(eventLoopGroup),
                configuration: Self.configuration(readTimeout: readTimeout, tls: tlsConfiguration)
            )
        }
        self.tlsClients = tlsClients
    }

    private static func configuration(readTimeout: TimeAmount, tls: TLSConfiguration?) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = tls
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
        return configuration
    }

    func shutdown() async {
        try? await self.client.shutdown()
        for client in self.tlsClients.values {
            try? await client.shutdown()
        }
    }

    enum Failure: Error {
        case unreachable(String)
        case timedOut
        /// `upstreamClient.auth` could not give the request its credentials (no token): not sent.
        case credentials(ClientAuthError)
    }

    /// Sends `request` to `target` and returns the upstream's response, body still streaming.
    ///
    /// `target.timeout` bounds the time until the response head arrives (`504` after it). With
    /// `upstreamClient.auth`, the request carries its credentials instead of the client's; when
    /// the upstream answers `401` to a request without a body or with a small one (buffered, at
    /// most ``replayableBodySize``), the credential is told, and the request is sent once more if
    /// that gives a new one (a token revoked before its expiry).
    func forward(
        _ request: Request,
        to target: UpstreamTarget,
        downstream: Downstream,
        logger: Logger
    ) async throws(Failure) -> Response {
        var outbound = HTTPClientRequest(url: target.url.origin + target.url.pathPrefix + (request.head.path ?? "/"))
        outbound.method = HTTPMethod(rawValue: request.method.rawValue)
        outbound.headers = ProxyHeaders.upstreamHeaders(
            from: request.headers,
            authority: request.head.authority,
            downstream: downstream,
            target: target
        )
        // Whether the request can be sent a second time (after a 401 to the gateway's token).
        var replayable = true
        if let length = request.headers[.contentLength].flatMap({ Int($0) }) {
            if length > 0 && length <= Self.replayableBodySize && target.credential?.renewsOnRejection == true {
                // Small bodies toward an upstream with managed tokens are buffered, so a request
                // refused for a revoked token can be sent again with a new one.
                do {
                    outbound.body = .bytes(try await request.body.collect(upTo: length))
                } catch {
                    throw .unreachable("reading the request body: \(error)")
                }
            } else if length > 0 {
                outbound.body = .stream(request.body, length: .known(Int64(length)))
                replayable = false
            }
        } else if request.headers[.transferEncoding] != nil {
            outbound.body = .stream(request.body, length: .unknown)
            replayable = false
        }
        var authorization: String?
        if let credential = target.credential {
            do throws(ClientAuthError) {
                authorization = try await credential.authorization()
            } catch {
                throw .credentials(error)
            }
            outbound.headers.replaceOrAdd(name: "authorization", value: authorization ?? "")
        }
        var response = try await self.execute(outbound, target: target, logger: logger)
        if response.status == .unauthorized, replayable, let authorization,
            let renewed = await target.credential?.renewed(afterRejecting: authorization)
        {
            // The first answer is dropped: read (a little of) its body so the connection can be reused.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            outbound.headers.replaceOrAdd(name: "authorization", value: renewed)
            response = try await self.execute(outbound, target: target, logger: logger)
        }
        return Response(
            status: .init(code: Int(response.status.code), reasonPhrase: response.status.reasonPhrase),
            headers: ProxyHeaders.clientHeaders(from: response.headers),
            body: ResponseBody(asyncSequence: response.body)
        )
    }
}

extension UpstreamProxy {
    fileprivate func execute(_ outbound: HTTPClientRequest, target: UpstreamTarget, logger: Logger) async throws(Failure) -> HTTPClientResponse {
        do {
            // The client's own logs are trace-level; handing it a logger with metadata costs a
            // metadata copy and re-rendering per request (5% of the proxy path's CPU with the
            // stream log handler), so it gets one only when those logs can be seen.
            let client = target.secureSocket.flatMap { self.tlsClients[$0] } ?? self.client
            return try await client.execute(
                outbound,
                timeout: .init(target.timeout),
                logger: logger.logLevel <= .debug ? logger : nil
            )
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw .timedOut
        } catch {
            throw .unreachable(String(describing: error))
        }
    }
}

extension TimeAmount {
    fileprivate init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
