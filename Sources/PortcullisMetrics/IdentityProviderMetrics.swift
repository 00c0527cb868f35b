package import Prometheus

/// The series of one kind of identity-provider call (`jwks`, `introspection`, `token`, `ldap`):
/// `portcullis_idp_requests_total{kind,outcome}` and `portcullis_idp_duration_seconds{kind}`,
/// with every handle created once.
public struct IdentityProviderMetrics: Sendable {
    /// How a call ended; the raw value is the `outcome` label.
    public enum Outcome: String, Sendable, CaseIterable {
        /// The provider answered as expected.
        case success
        /// The provider answered, but with an error status or a body that cannot be used.
        case error
        /// The provider could not be reached or did not answer in time.
        case unreachable
    }

    private let counters: [Outcome: Counter]
    private let duration: DurationHistogram?

    public init(kind: String, metrics: PortcullisMetrics?) {
        var counters: [Outcome: Counter] = [:]
        if let metrics {
            for outcome in Outcome.allCases {
                counters[outcome] = metrics.idpRequests(kind: kind, outcome: outcome.rawValue)
            }
        }
        self.counters = counters
        self.duration = metrics?.idpDuration(kind: kind)
    }

    /// Records one call.
    public func record(_ outcome: Outcome, duration: Duration) {
        self.counters[outcome]?.increment()
        self.duration?.record(duration)
    }
}
