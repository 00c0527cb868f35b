import NIOConcurrencyHelpers
import Prometheus

/// The per-service series of one service, with handles made once per label set and reused.
public final class ServiceMetrics: Sendable {
    private struct RequestKey: Hashable {
        var method: String
        var code: Int
    }

    private struct DecisionKey: Hashable {
        var auth: String
        var outcome: String
    }

    /// Methods get their own label value; anything else is counted as `OTHER` to bound cardinality.
    public static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"]

    public let service: String
    private let metrics: PortcullisMetrics
    private let requests = NIOLockedValueBox<[RequestKey: Counter]>([:])
    private let decisions = NIOLockedValueBox<[DecisionKey: Counter]>([:])
    private let requestDuration: DurationHistogram
    private let upstreamDuration: DurationHistogram

    public init(service: String, metrics: PortcullisMetrics) {
        self.service = service
        self.metrics = metrics
        self.requestDuration = metrics.requestDuration(service: service)
        self.upstreamDuration = metrics.upstreamDuration(service: service)
    }

    /// Counts one answered request and records its duration.
    public func recordRequest(method: String, code: Int, duration: Duration) {
        let key = RequestKey(method: Self.knownMethods.contains(method) ? method : "OTHER", code: code)
        let counter = self.requests.withLockedValue { counters in
            if let counter = counters[key] { return counter }
            let counter = self.metrics.requests(service: self.service, method: key.method, code: key.code)
            counters[key] = counter
            return counter
        }
        counter.increment()
        self.requestDuration.record(duration)
    }

    /// Counts one auth decision.
    public func recordDecision(auth: String, outcome: String) {
        let key = DecisionKey(auth: auth, outcome: outcome)
        let counter = self.decisions.withLockedValue { counters in
            if let counter = counters[key] { return counter }
            let counter = self.metrics.authDecisions(service: self.service, auth: auth, outcome: outcome)
            counters[key] = counter
            return counter
        }
        counter.increment()
    }

    /// Records the time an upstream took to answer.
    public func recordUpstream(duration: Duration) {
        self.upstreamDuration.record(duration)
    }
}
