import Hummingbird
import Logging
import NIOCore
import PortcullisAuth
import PortcullisHummingbird
import PortcullisMetrics

/// The request path: accept → route → auth policy → respond or proxy, on an immutable route table.
///
/// Every answer the gateway makes itself is decided here and nowhere else: `400` for ambiguous
/// paths, `404`/`405`, `431` for oversized header blocks, `401`/`403`/`503` from the policy,
/// `502`/`504` from the proxy.
struct GatewayResponder: HTTPResponder {
    typealias Context = GatewayRequestContext

    /// The largest request header block accepted, in bytes (names, values and separators).
    static let maximumHeaderBytes = 16 * 1024

    let routes: RouteTable
    let proxy: UpstreamProxy
    /// `https` when the listener serves TLS, for `x-forwarded-proto`.
    let scheme: String
    /// The verified client certificates of open connections; `nil` without `mutualSsl`.
    let clientCertificates: ClientCertificateRegistry?
    /// Counts requests no service owns.
    let unmatched: ServiceMetrics

    func respond(to request: Request, context: Context) async throws -> Response {
        let started = ContinuousClock.now
        let (response, service) = await self.handle(request, context: context)
        (service ?? self.unmatched).recordRequest(
            method: request.method.rawValue,
            code: response.status.code,
            duration: ContinuousClock.now - started
        )
        return response
    }

    private func handle(_ request: Request, context: Context) async -> (Response, ServiceMetrics?) {
        guard Self.headerBytes(request.headers) <= Self.maximumHeaderBytes else {
            return (GatewayResponses.empty(.init(code: 431, reasonPhrase: "Request Header Fields Too Large")), nil)
        }
        let path: RequestPath
        do {
            path = try RequestPath(target: request.head.path ?? "")
        } catch {
            context.logger.debug("rejected request path", metadata: ["reason": "\(error)"])
            return (GatewayResponses.empty(.badRequest), nil)
        }
        let route: Route
        switch self.routes.match(method: request.method.rawValue, path: path) {
        case .notFound:
            return (GatewayResponses.empty(.notFound), nil)
        case .methodNotAllowed(let service, let allow):
            return (GatewayResponses.empty(.methodNotAllowed, headers: [.allow: allow.joined(separator: ", ")]), service.metrics)
        case .route(let matched):
            route = matched
        }
        let service = route.service.metrics

        var certificate: ClientCertificate?
        if let registry = self.clientCertificates, route.policy.usesClientCertificate || route.forwardsIdentity {
            certificate = registry.certificate(for: context.channel)
        }
        var principal: Principal?
        if !route.policy.isPublic {
            let authRequest = AuthRequest(authorization: request.headers[.authorization], clientCertificate: certificate)
            let decision = await route.policy.evaluate(authRequest)
            service.recordDecision(auth: decision.method?.rawValue ?? "none", outcome: decision.outcome.rawValue)
            if let rejection = decision.rejection {
                decision.logRejection(to: context.logger, service: route.service.name)
                return (rejection, service)
            }
            principal = decision.principal
        }

        switch route.action {
        case .respond(let response):
            return (response, service)
        case .proxy(let target):
            let upstreamStarted = ContinuousClock.now
            do {
                let response = try await self.proxy.forward(
                    request,
                    to: target,
                    downstream: Downstream(
                        clientAddress: context.remoteAddress?.ipAddress,
                        scheme: self.scheme,
                        principal: principal,
                        clientCertificate: certificate
                    ),
                    logger: context.logger
                )
                service.recordUpstream(duration: ContinuousClock.now - upstreamStarted)
                return (response, service)
            } catch {
                switch error {
                case .timedOut:
                    context.logger.notice("upstream timed out", metadata: ["service": "\(route.service.name)"])
                    return (GatewayResponses.empty(.gatewayTimeout), service)
                case .unreachable(let reason):
                    context.logger.notice("upstream unreachable", metadata: ["service": "\(route.service.name)", "reason": "\(reason)"])
                    return (GatewayResponses.empty(.badGateway), service)
                case .credentials(let error):
                    // The token manager logs each failed token request; this is per request.
                    context.logger.notice("no upstream credentials; request not sent", metadata: ["service": "\(route.service.name)", "reason": "\(error)"])
                    return (GatewayResponses.empty(.badGateway), service)
                }
            }
        }
    }

    private static func headerBytes(_ fields: HTTPFields) -> Int {
        var total = 0
        for field in fields {
            total += field.name.rawName.utf8.count + field.value.utf8.count + 4
        }
        return total
    }
}
