import NIOConcurrencyHelpers
package import Prometheus

/// The per-service series of one service: `portcullis_requests_total`,
/// `portcullis_auth_decisions_total`, `portcullis_forward_auth_decisions_total`,
/// `portcullis_request_duration_seconds` and `portcullis_upstream_duration_seconds`.
///
/// Recorded per shard (one per event loop) so that the request path takes no lock shared
/// between loops: each shard's lock is taken by its own loop, and by a scrape only. A scrape
/// sums the shards (``PortcullisMetrics/exposition()``). Recording into swift-prometheus'
/// shared counters and histograms took a contended lock or atomic three times per request
/// (~3% of the answer-here path in perf).
///
/// Made through ``PortcullisMetrics/service(_:shards:)``, which returns the same instance for
/// the same name, so the counters of a service never go back.
public final class ServiceMetrics: Sendable {
    struct RequestKey: Hashable {
        var method: String
        var code: Int
    }

    struct DecisionKey: Hashable {
        var auth: String
        var outcome: String
    }

    /// Counts of one duration histogram; bucket `i` counts observations in
    /// (`bounds[i-1]`, `bounds[i]`], the last one those above every bound.
    struct HistogramCounts {
        var buckets: [Int]
        var sumNanoseconds: Int64 = 0

        init() {
            self.buckets = Array(repeating: 0, count: ServiceMetrics.boundsNanoseconds.count + 1)
        }

        mutating func record(nanoseconds: Int64) {
            var index = 0
            let bounds = ServiceMetrics.boundsNanoseconds
            while index < bounds.count, nanoseconds > bounds[index] { index += 1 }
            self.buckets[index] += 1
            self.sumNanoseconds &+= nanoseconds
        }

        mutating func add(_ other: HistogramCounts) {
            for index in self.buckets.indices { self.buckets[index] += other.buckets[index] }
            self.sumNanoseconds &+= other.sumNanoseconds
        }
    }

    struct Counts {
        var requests: [RequestKey: Int] = [:]
        var decisions: [DecisionKey: Int] = [:]
        /// Forward-auth decisions by outcome.
        var forwardAuthDecisions: [String: Int] = [:]
        var requestDuration = HistogramCounts()
        var upstreamDuration = HistogramCounts()

        mutating func add(_ other: Counts) {
            self.requests.merge(other.requests, uniquingKeysWith: +)
            self.decisions.merge(other.decisions, uniquingKeysWith: +)
            self.forwardAuthDecisions.merge(other.forwardAuthDecisions, uniquingKeysWith: +)
            self.requestDuration.add(other.requestDuration)
            self.upstreamDuration.add(other.upstreamDuration)
        }
    }

    /// ``PortcullisMetrics/durationBuckets`` in nanoseconds.
    static let boundsNanoseconds: [Int64] = PortcullisMetrics.durationBuckets.map(ServiceMetrics.nanoseconds)

    /// Methods get their own label value; anything else is counted as `OTHER` to bound cardinality.
    public static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"]

    public let service: String
    private let shards: [NIOLockedValueBox<Counts>]

    init(service: String, shards: Int) {
        self.service = service
        self.shards = (0..<max(shards, 1)).map { _ in NIOLockedValueBox(Counts()) }
    }

    /// Counts one answered request and records its duration, in `shard` (the event loop's index).
    public func recordRequest(shard: Int = 0, method: String, code: Int, duration: Duration) {
        let key = RequestKey(method: Self.knownMethods.contains(method) ? method : "OTHER", code: code)
        let nanoseconds = Self.nanoseconds(duration)
        self.shard(shard).withLockedValue { counts in
            counts.requests[key, default: 0] += 1
            counts.requestDuration.record(nanoseconds: nanoseconds)
        }
    }

    /// Counts one auth decision, in `shard`.
    public func recordDecision(shard: Int = 0, auth: String, outcome: String) {
        let key = DecisionKey(auth: auth, outcome: outcome)
        self.shard(shard).withLockedValue { counts in
            counts.decisions[key, default: 0] += 1
        }
    }

    /// Counts one answer of the forward-auth decision endpoint about this service, in `shard`:
    /// `outcome` is an auth outcome (`allowed`, `unauthenticated`, `forbidden`, `unavailable`) or
    /// why no policy was asked (`throttled`, `not_found`, `method_not_allowed`, `invalid`).
    public func recordForwardAuthDecision(shard: Int = 0, outcome: String) {
        self.shard(shard).withLockedValue { counts in
            counts.forwardAuthDecisions[outcome, default: 0] += 1
        }
    }

    /// Records the time an upstream took to answer, in `shard`.
    public func recordUpstream(shard: Int = 0, duration: Duration) {
        let nanoseconds = Self.nanoseconds(duration)
        self.shard(shard).withLockedValue { counts in
            counts.upstreamDuration.record(nanoseconds: nanoseconds)
        }
    }

    /// Every shard's counts, summed.
    func snapshot() -> Counts {
        var total = Counts()
        for shard in self.shards {
            let counts = shard.withLockedValue { $0 }
            total.add(counts)
        }
        return total
    }

    private func shard(_ index: Int) -> NIOLockedValueBox<Counts> {
        self.shards[index >= 0 && index < self.shards.count ? index : 0]
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return max(0, seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000)
    }
}
