import NIOCore
import NIOHTTP1
import PortcullisAuth
import PortcullisClientAuth
import PortcullisConfig
import PortcullisMetrics

/// What the gateway does with a request once it is authorized.
enum RouteAction: Sendable {
    /// Answer with a fixed response (`respond = {...}`).
    case respond(FixedAnswer)
    /// Forward to the service's upstream.
    case proxy(UpstreamTarget)
    /// Nothing: the service has no upstream and serves forward-auth decisions only. A request
    /// made to it directly gets `404` before any auth work.
    case decisionsOnly
}

/// One service as the request path needs it: immutable, built once from the config.
struct ServiceRuntime: Sendable {
    let name: String
    let metrics: ServiceMetrics
    /// The failed-auth limits this service is under, if any.
    var throttle: AuthThrottle? = nil
}

/// Where and how a service's requests are proxied.
struct UpstreamTarget: Sendable {
    let url: UpstreamURL
    /// The pool this target's connections come from.
    let key: UpstreamKey
    /// The `Host` header sent upstream.
    let hostHeader: String
    /// Time allowed for the response head, and for any pause in the response body.
    let timeout: TimeAmount
    let hideCredentials: Bool
    let forwardIdentity: Bool
    /// `upstreamClient.auth`: the `Authorization` every forwarded request carries instead of the client's.
    let credential: (any OutboundCredential)?

    init(url: UpstreamURL, client: UpstreamClientConfig, hideCredentials: Bool, forwardIdentity: Bool, credential: (any OutboundCredential)?) {
        self.url = url
        self.key = UpstreamKey(url: url, secureSocket: client.secureSocket)
        let defaultPort = url.scheme == "https" ? 443 : 80
        let host = url.host.contains(":") ? "[\(url.host)]" : url.host
        self.hostHeader = url.port == defaultPort ? host : "\(host):\(url.port)"
        self.timeout = .nanoseconds(Int64(client.timeoutSeconds * 1e9))
        self.hideCredentials = hideCredentials
        self.forwardIdentity = forwardIdentity
        self.credential = credential
    }
}

/// A matched route: its service, the policy that guards it and what to do when it passes.
///
/// A class: every request gets its route from the table, and copying this many references was
/// ~4% of the answer-here path in perf (one retain instead).
final class Route: Sendable {
    let service: ServiceRuntime
    let policy: AuthPolicy
    let action: RouteAction
    let refusals: Refusals

    init(service: ServiceRuntime, policy: AuthPolicy, action: RouteAction) {
        self.service = service
        self.policy = policy
        self.action = action
        self.refusals = Refusals(policy: policy)
    }

    /// Whether the upstream gets identity headers (and the client certificate).
    var forwardsIdentity: Bool {
        if case .proxy(let target) = self.action { return target.forwardIdentity }
        return false
    }
}

/// A route's `401`, `403` and `503`, built once from its policy's challenges.
struct Refusals: Sendable {
    let unauthenticated: FixedAnswer
    let unauthenticatedAfterToken: FixedAnswer
    let forbidden: FixedAnswer
    let unavailable: FixedAnswer

    init(policy: AuthPolicy) {
        func challenges(_ values: [String]) -> [(String, String)] { values.map { ("www-authenticate", $0) } }
        self.unauthenticated = FixedAnswer(status: .unauthorized, headers: challenges(policy.challenges(afterToken: false)))
        self.unauthenticatedAfterToken = FixedAnswer(status: .unauthorized, headers: challenges(policy.challenges(afterToken: true)))
        self.forbidden = FixedAnswer(status: .forbidden)
        self.unavailable = FixedAnswer(status: .serviceUnavailable, headers: [("retry-after", PolicyDecision.retryAfterSeconds)])
    }

    /// The answer that refuses the request, or `nil` when `decision` allows it.
    func answer(for decision: PolicyDecision, presentedToken: Bool) -> FixedAnswer? {
        switch decision.outcome {
        case .allowed:
            nil
        case .unauthenticated:
            presentedToken ? self.unauthenticatedAfterToken : self.unauthenticated
        case .forbidden:
            // A bearer entry names its scopes (RFC 6750 §3.1): built for this decision.
            decision.challenges.isEmpty
                ? self.forbidden : FixedAnswer(status: .forbidden, headers: decision.challenges.map { ("www-authenticate", $0) })
        case .unavailable:
            self.unavailable
        }
    }
}
