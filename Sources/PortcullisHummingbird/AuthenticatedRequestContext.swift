import Hummingbird
import PortcullisAuth

/// A request context that can carry the principal ``PortcullisAuthMiddleware`` authenticated.
public protocol AuthenticatedRequestContext: RequestContext {
    /// The authenticated principal; `nil` before the middleware runs and on public routes.
    var principal: Principal? { get set }
}

/// A ready ``AuthenticatedRequestContext`` for services that need nothing else in their context.
public struct BasicAuthenticatedRequestContext: AuthenticatedRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.principal = nil
    }
}
