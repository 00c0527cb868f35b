import Hummingbird
import PortcullisAuth
import PortcullisMetrics

/// Enforces a Ballerina-style `auth` array on a Hummingbird router: the same policy, challenges and
/// status codes as the Portcullis gateway, inside your own Swift service.
///
/// ```swift
/// let store = FileUserStore(users: users)
/// let router = Router(context: BasicAuthenticatedRequestContext.self)
/// router.add(middleware: PortcullisAuthMiddleware(entries: [AuthEntry(authenticator: store, scopes: ["hello"])]))
/// router.get("/hello") { _, context in "Hello, \(context.principal?.subject ?? "")!" }
/// ```
///
/// - Important: As with every Hummingbird middleware, it guards only the routes added after it.
public struct PortcullisAuthMiddleware<Context: AuthenticatedRequestContext>: RouterMiddleware {
    public let policy: AuthPolicy

    public init(policy: AuthPolicy) {
        self.policy = policy
    }

    /// - Parameters:
    ///   - entries: the auth entries in order; empty makes the routes public.
    ///   - metrics: where `portcullis_auth_duration_seconds` is recorded, if anywhere.
    public init(entries: [AuthEntry], metrics: PortcullisMetrics? = nil) {
        self.policy = AuthPolicy(entries: entries, metrics: metrics)
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let decision = await self.policy.evaluate(AuthRequest(authorization: request.headers[.authorization]))
        if let rejection = decision.rejection {
            decision.logRejection(to: context.logger)
            return rejection
        }
        var context = context
        context.principal = decision.principal
        return try await next(request, context)
    }
}
