import Prometheus

/// The series one cache reports: `portcullis_cache_lookups_total{cache,result}` and
/// `portcullis_cache_entries{cache}`.
public struct CacheMetrics: Sendable {
    public let hits: Counter
    public let misses: Counter
    public let entries: Gauge

    public init(hits: Counter, misses: Counter, entries: Gauge) {
        self.hits = hits
        self.misses = misses
        self.entries = entries
    }

    public func recordHit() { self.hits.increment() }
    public func recordMiss() { self.misses.increment() }
    public func setEntries(_ count: Int) { self.entries.set(Int64(count)) }

    /// Handles registered nowhere that is scraped, for caches used without a gateway.
    public static func unregistered() -> CacheMetrics {
        PortcullisMetrics().cache("unregistered")
    }
}
