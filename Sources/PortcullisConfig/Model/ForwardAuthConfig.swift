/// The `[forwardAuth]` table: decisions for a proxy in front (nginx `auth_request`, Traefik
/// ForwardAuth, ingress-nginx `auth-url`, Envoy's HTTP ext_authz); off unless the table is present.
///
/// The decision endpoint judges the *original* request, named by the proxy's headers
/// (``path``) or by the path after a prefix (``pathPrefix``), against the services' routes and
/// policies, and answers `200`, `401`, `403`, `404` or `503` without proxying anything.
public struct ForwardAuthConfig: Sendable, Equatable {
    /// The default decision path.
    public static let defaultPath = "/_portcullis/auth"

    /// Where the proxy asks, the original request named by `X-Original-*` (nginx) or
    /// `X-Forwarded-*` (Traefik) headers. Matched exactly; a query is ignored.
    public var path: String
    /// Envoy's HTTP ext_authz: a request below this prefix is judged as the path that follows it,
    /// with its own method. `nil`: no prefix endpoint.
    public var pathPrefix: String?

    public init(path: String = ForwardAuthConfig.defaultPath, pathPrefix: String? = nil) {
        self.path = path
        self.pathPrefix = pathPrefix
    }
}
