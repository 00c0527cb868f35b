import Hummingbird
import PortcullisAuth
import PortcullisClientAuth
import PortcullisConfig
import PortcullisMetrics

/// What the gateway does with a request once it is authorized.
enum RouteAction: Sendable {
    /// Answer with a fixed response (`respond = {...}`).
    case respond(Response)
    /// Forward to the service's upstream.
    case proxy(UpstreamTarget)
}

/// One service as the request path needs it: immutable, built once from the config.
struct ServiceRuntime: Sendable {
    let name: String
    let metrics: ServiceMetrics
}

/// Where and how a service's requests are proxied.
struct UpstreamTarget: Sendable {
    let url: UpstreamURL
    let timeout: Duration
    let hideCredentials: Bool
    let forwardIdentity: Bool
    /// The TLS settings for an `https` upstream; `nil` for the system roots.
    let secureSocket: ClientSecureSocketConfig?
    /// `upstreamClient.auth`: the `Authorization` every forwarded request carries instead of the client's.
    let credential: (any OutboundCredential)?
}

/// A matched route: its service, the policy that guards it and what to do when it passes.
struct Route: Sendable {
    let service: ServiceRuntime
    let policy: AuthPolicy
    let action: RouteAction

    /// Whether the upstream gets identity headers (and the client certificate).
    var forwardsIdentity: Bool {
        if case .proxy(let target) = self.action { return target.forwardIdentity }
        return false
    }
}
