package import Prometheus

/// The series one cache reports: `portcullis_cache_lookups_total{cache,result}`,
/// `portcullis_cache_entries{cache}` and `portcullis_cache_bytes{cache}` (an estimate).
///
/// Lookups are counted per thread shard (every cache hit on every event loop counts one), the
/// gauges only when the cache changes.
public struct CacheMetrics: Sendable {
    private let hits: ShardedCounter
    private let misses: ShardedCounter
    private let entries: Gauge
    private let bytes: Gauge

    init(hits: ShardedCounter, misses: ShardedCounter, entries: Gauge, bytes: Gauge) {
        self.hits = hits
        self.misses = misses
        self.entries = entries
        self.bytes = bytes
    }

    public func recordHit() { self.hits.increment() }
    public func recordMiss() { self.misses.increment() }
    public func setEntries(_ count: Int) { self.entries.set(Int64(count)) }
    public func setBytes(_ count: Int) { self.bytes.set(Int64(count)) }

    /// Handles registered nowhere that is scraped, for caches used without a gateway: two
    /// counters and two gauges of a registry of their own (not a whole ``PortcullisMetrics``,
    /// whose process metrics and families such a cache would carry for nothing).
    public static func unregistered() -> CacheMetrics {
        let registry = PrometheusCollectorRegistry()
        return CacheMetrics(
            hits: ShardedCounter(),
            misses: ShardedCounter(),
            entries: registry.makeGauge(name: "portcullis_cache_entries", labels: [("cache", "unregistered")]),
            bytes: registry.makeGauge(name: "portcullis_cache_bytes", labels: [("cache", "unregistered")])
        )
    }
}
