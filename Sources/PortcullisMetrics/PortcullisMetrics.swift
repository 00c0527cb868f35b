import NIOConcurrencyHelpers
package import Prometheus

/// The series of the metrics contract, created once with their help text and served in the
/// Prometheus text format.
///
/// Every handle is made through this type so that one name always has one type and one help
/// text (swift-prometheus crashes otherwise). Handles are cheap to keep; callers create them at
/// start-up, not per request.
///
/// - Important: Labels carry service names, methods, status codes and fixed vocabularies only;
///   never paths, user names or tokens.
public final class PortcullisMetrics: Sendable {
    /// The registry the series live in.
    package let registry: PrometheusCollectorRegistry
    private let process = ProcessMetrics()
    /// Every service's series, in the order they were made.
    private let services = NIOLockedValueBox<[ServiceMetrics]>([])
    /// `portcullis_auth_duration_seconds` per auth method, in the order they were made.
    private let authDurations = NIOLockedValueBox<[(auth: String, histogram: ShardedHistogram)]>([])
    /// `portcullis_cache_lookups_total` per cache, in the order they were made.
    private let cacheLookups = NIOLockedValueBox<[(cache: String, hits: ShardedCounter, misses: ShardedCounter)]>([])
    /// The `portcullis_config_info` series of the configuration now served.
    private let configInfo = NIOLockedValueBox<Gauge?>(nil)

    /// Bucket bounds, in seconds, for every duration histogram: 50 µs to 10 s.
    public static let durationBuckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    /// Series in a registry of their own, exposed by ``exposition()``.
    public convenience init() {
        self.init(registry: PrometheusCollectorRegistry())
    }

    /// Series in `registry` (swift-prometheus' types stay out of the public API).
    package init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    // MARK: Services

    /// The series of the service named `name`, recorded in `shards` shards (one per event loop);
    /// the same instance for the same name, so its counters never go back.
    public func service(_ name: String, shards: Int = 1) -> ServiceMetrics {
        self.services.withLockedValue { services in
            if let existing = services.first(where: { $0.service == name }) { return existing }
            let created = ServiceMetrics(service: name, shards: shards)
            services.append(created)
            return created
        }
    }

    // MARK: Configuration

    /// Counts a reload in `portcullis_config_reloads_total{outcome}` (`success` or `failure`).
    public func recordConfigReload(succeeded: Bool) {
        self.registry.makeCounter(
            name: "portcullis_config_reloads_total",
            labels: [("outcome", succeeded ? "success" : "failure")],
            help: "Configuration reloads (SIGHUP or --watch), by outcome."
        ).increment()
    }

    /// `portcullis_config_last_reload_success_timestamp_seconds`: when the configuration now
    /// served was loaded (at start, then at each successful reload).
    public func configLoaded(hash: String, atUnixSeconds seconds: Double) {
        self.registry.makeGauge(
            name: "portcullis_config_last_reload_success_timestamp_seconds",
            help: "Unix time of the last successful configuration load."
        ).set(to: seconds)
        let info = self.registry.makeGauge(
            name: "portcullis_config_info",
            labels: [("hash", hash)],
            help: "The configuration served: 1, labelled with the SHA-256 prefix of its TOML."
        )
        info.set(to: 1)
        let replaced = self.configInfo.withLockedValue { current in
            defer { current = info }
            return current
        }
        if let replaced, replaced !== info {
            self.registry.unregisterGauge(replaced)
        }
    }

    /// Counts access-log lines dropped because the writer fell behind
    /// (`portcullis_access_log_dropped_lines_total`).
    public func recordAccessLogDropped(lines: Int) {
        self.registry.makeCounter(
            name: "portcullis_access_log_dropped_lines_total",
            help: "Access log lines dropped because too much was waiting to be written."
        ).increment(by: Int64(lines))
    }

    /// Counts an attempt a throttling limit refused (or, in shadow mode, would have):
    /// `portcullis_throttled_total{service,limiter}`.
    public func recordThrottled(service: String, limiter: String) {
        self.registry.makeCounter(
            name: "portcullis_throttled_total",
            labels: [("service", service), ("limiter", limiter)],
            help: "Auth attempts refused by throttling (or counted in shadow mode), by service and limiter."
        ).increment()
    }

    /// Counts limit checks and updates the shared throttling store (Redis) could not answer, so
    /// that the local limits decided (`portcullis_throttle_store_errors_total`); `0` shows the
    /// series once a store is configured.
    public func recordThrottleStoreErrors(_ count: Int = 1) {
        self.registry.makeCounter(
            name: "portcullis_throttle_store_errors_total",
            help: "Throttling checks and updates the shared store (Redis) did not answer; the local limits decided instead."
        ).increment(by: Int64(count))
    }

    // MARK: Auth

    /// `portcullis_auth_duration_seconds{auth}`: the same series for the same `auth`, recorded
    /// per thread shard (no lock shared between event loops).
    public func authDuration(auth: String) -> DurationRecorder {
        let histogram = self.authDurations.withLockedValue { series in
            if let existing = series.first(where: { $0.auth == auth }) { return existing.histogram }
            let made = ShardedHistogram()
            series.append((auth, made))
            return made
        }
        return DurationRecorder(histogram)
    }

    // MARK: Caches

    /// The lookup counters and the size gauges of one cache; the same series for the same `name`.
    public func cache(_ name: String) -> CacheMetrics {
        let lookups = self.cacheLookups.withLockedValue { series in
            if let existing = series.first(where: { $0.cache == name }) { return (existing.hits, existing.misses) }
            let made = (hits: ShardedCounter(), misses: ShardedCounter())
            series.append((name, made.hits, made.misses))
            return made
        }
        return CacheMetrics(
            hits: lookups.0,
            misses: lookups.1,
            entries: self.registry.makeGauge(
                name: "portcullis_cache_entries",
                labels: [("cache", name)],
                help: "Entries currently held, by cache."
            ),
            bytes: self.registry.makeGauge(
                name: "portcullis_cache_bytes",
                labels: [("cache", name)],
                help: "Estimated heap bytes held, by cache: tables, keys and values, without allocator slack."
            )
        )
    }

    // MARK: Identity providers and tokens

    /// `portcullis_idp_requests_total{kind,outcome}`.
    package func idpRequests(kind: String, outcome: String) -> Counter {
        self.registry.makeCounter(
            name: "portcullis_idp_requests_total",
            labels: [("kind", kind), ("outcome", outcome)],
            help: "Requests to identity providers, by kind and outcome."
        )
    }

    /// `portcullis_idp_duration_seconds{kind}`.
    package func idpDuration(kind: String) -> DurationHistogram {
        self.registry.makeDurationHistogram(
            name: "portcullis_idp_duration_seconds",
            labels: [("kind", kind)],
            buckets: Self.durationBuckets,
            help: "Duration of requests to identity providers, by kind."
        )
    }

    /// `portcullis_token_refreshes_total{service,outcome}`.
    package func tokenRefreshes(service: String, outcome: String) -> Counter {
        self.registry.makeCounter(
            name: "portcullis_token_refreshes_total",
            labels: [("service", service), ("outcome", outcome)],
            help: "Outbound token requests, by service and outcome."
        )
    }

    // MARK: TLS

    /// `portcullis_tls_handshake_failures_total{reason}`: handshakes on the gateway listener that
    /// failed, by a bounded set of reasons (see the gateway's `TLSHandshakeFailure`).
    package func tlsHandshakeFailures(reason: String) -> Counter {
        self.registry.makeCounter(
            name: "portcullis_tls_handshake_failures_total",
            labels: [("reason", reason)],
            help: "TLS handshakes on the gateway listener that failed, by reason."
        )
    }

    // MARK: Exposition

    /// The whole exposition: every registered series, the services' series, the cache lookups and
    /// auth durations (sharded), then the process metrics.
    public func exposition() -> [UInt8] {
        var buffer = self.registry.emitToBuffer()
        let services = self.services.withLockedValue { $0 }
        ServiceSeriesExposition(services: services.map { ($0.service, $0.snapshot()) }).emit(into: &buffer)
        let lookups = self.cacheLookups.withLockedValue { $0 }
        ServiceSeriesExposition.counterFamily(
            "portcullis_cache_lookups_total",
            help: "Cache lookups, by cache and result.",
            series: lookups.flatMap { cache in
                [([("cache", cache.cache), ("result", "hit")], cache.hits.value), ([("cache", cache.cache), ("result", "miss")], cache.misses.value)]
            },
            into: &buffer
        )
        let durations = self.authDurations.withLockedValue { $0 }
        ServiceSeriesExposition.histogramFamily(
            "portcullis_auth_duration_seconds",
            help: "Time spent in one authenticator, by auth method.",
            series: durations.map { ([("auth", $0.auth)], $0.histogram.snapshot()) },
            into: &buffer
        )
        self.process.emit(into: &buffer)
        return buffer
    }
}
