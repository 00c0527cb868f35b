package import Prometheus

/// The series one cache reports: `portcullis_cache_lookups_total{cache,result}`,
/// `portcullis_cache_entries{cache}` and `portcullis_cache_bytes{cache}` (an estimate).
public struct CacheMetrics: Sendable {
    package let hits: Counter
    package let misses: Counter
    package let entries: Gauge
    package let bytes: Gauge

    package init(hits: Counter, misses: Counter, entries: Gauge, bytes: Gauge) {
        self.hits = hits
        self.misses = misses
        self.entries = entries
        self.bytes = bytes
    }

    public func recordHit() { self.hits.increment() }
    public func recordMiss() { self.misses.increment() }
    public func setEntries(_ count: Int) { self.entries.set(Int64(count)) }
    public func setBytes(_ count: Int) { self.bytes.set(Int64(count)) }

    /// Handles registered nowhere that is scraped, for caches used without a gateway.
    public static func unregistered() -> CacheMetrics {
        PortcullisMetrics().cache("unregistered")
    }
}
