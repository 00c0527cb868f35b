/// One `[[service]]`: a base path, the auth that guards it, and where its requests go.
public struct ServiceConfig: Sendable, Equatable {
    /// The `service` metric label of requests no service owns; reserved as a service name.
    public static let unmatchedName = "unmatched"

    /// The name used in logs and metric labels; defaults to the base path.
    public var name: String
    /// The path prefix this service owns; the longest matching prefix wins.
    public var basePath: String
    /// Where requests are proxied; `nil` when every resource answers by itself.
    public var upstream: UpstreamURL?
    /// `true`: the inbound `Authorization` header is not forwarded upstream.
    public var hideCredentials: Bool
    /// `true`: the upstream receives `x-auth-subject`, `x-auth-scopes` and `x-auth-method`.
    public var forwardIdentity: Bool
    /// The service's auth entries; empty means the service is public.
    public var auth: [AuthEntryConfig]
    /// The declared resources. When there are any, they are the whole surface of the service.
    public var resources: [ResourceConfig]
    public var upstreamClient: UpstreamClientConfig
    /// This service's `[service.throttling]`, which replaces the global `[throttling]`.
    public var throttling: ThrottlingConfig?

    public init(
        name: String,
        basePath: String,
        upstream: UpstreamURL? = nil,
        hideCredentials: Bool = false,
        forwardIdentity: Bool = false,
        auth: [AuthEntryConfig] = [],
        resources: [ResourceConfig] = [],
        upstreamClient: UpstreamClientConfig = UpstreamClientConfig(),
        throttling: ThrottlingConfig? = nil
    ) {
        self.name = name
        self.basePath = basePath
        self.upstream = upstream
        self.hideCredentials = hideCredentials
        self.forwardIdentity = forwardIdentity
        self.auth = auth
        self.resources = resources
        self.upstreamClient = upstreamClient
        self.throttling = throttling
    }
}
