package import Prometheus

/// Writes the services' series (``ServiceMetrics``) in the Prometheus text format, as
/// swift-prometheus writes its own: a `# HELP` and `# TYPE` line per family, the labels in the
/// order the contract gives them, cumulative histogram buckets with `le` in seconds.
struct ServiceSeriesExposition {
    /// Each service's name and summed counts, in the order the services were made.
    let services: [(name: String, counts: ServiceMetrics.Counts)]

    func emit(into buffer: inout [UInt8]) {
        self.counterFamily(
            "portcullis_requests_total",
            help: "Requests answered, by service, method and status code.",
            into: &buffer
        ) { counts in
            counts.requests.sorted { ($0.key.method, $0.key.code) < ($1.key.method, $1.key.code) }
                .map { ([("method", $0.key.method), ("code", String($0.key.code))], $0.value) }
        }
        self.counterFamily(
            "portcullis_auth_decisions_total",
            help: "Auth decisions, by service, deciding auth method and outcome.",
            into: &buffer
        ) { counts in
            counts.decisions.sorted { ($0.key.auth, $0.key.outcome) < ($1.key.auth, $1.key.outcome) }
                .map { ([("auth", $0.key.auth), ("outcome", $0.key.outcome)], $0.value) }
        }
        self.counterFamily(
            "portcullis_forward_auth_decisions_total",
            help: "Answers of the forward-auth decision endpoint, by the service judged and outcome.",
            into: &buffer
        ) { counts in
            counts.forwardAuthDecisions.sorted { $0.key < $1.key }.map { ([("outcome", $0.key)], $0.value) }
        }
        self.histogramFamily(
            "portcullis_request_duration_seconds",
            help: "Time from request head to response head, by service.",
            into: &buffer
        ) { $0.requestDuration }
        self.histogramFamily(
            "portcullis_upstream_duration_seconds",
            help: "Time from sending a request upstream to its response head, by service.",
            into: &buffer
        ) { $0.upstreamDuration }
    }

    private func counterFamily(
        _ name: String,
        help: String,
        into buffer: inout [UInt8],
        series: (ServiceMetrics.Counts) -> [([(String, String)], Int)]
    ) {
        let all = self.services.flatMap { service in
            series(service.counts).map { labels, value in ([("service", service.name)] + labels, value) }
        }
        Self.counterFamily(name, help: help, series: all, into: &buffer)
    }

    private func histogramFamily(
        _ name: String,
        help: String,
        into buffer: inout [UInt8],
        histogram: (ServiceMetrics.Counts) -> ServiceMetrics.HistogramCounts
    ) {
        Self.histogramFamily(name, help: help, series: self.services.map { ([("service", $0.name)], histogram($0.counts)) }, into: &buffer)
    }

    /// A counter family: its header, then one line per series; nothing when there is no series.
    static func counterFamily(_ name: String, help: String, series: [([(String, String)], Int)], into buffer: inout [UInt8]) {
        guard !series.isEmpty else { return }
        Self.appendHeader(name, help: help, type: "counter", into: &buffer)
        for (labels, value) in series {
            Self.appendSeries(name, labels: labels, value: String(value), into: &buffer)
        }
    }

    /// A histogram family with ``PortcullisMetrics/durationBuckets``: cumulative buckets with `le`
    /// in seconds, then the sum and the count of each series; nothing when there is no series.
    static func histogramFamily(
        _ name: String,
        help: String,
        series: [([(String, String)], ServiceMetrics.HistogramCounts)],
        into buffer: inout [UInt8]
    ) {
        guard !series.isEmpty else { return }
        Self.appendHeader(name, help: help, type: "histogram", into: &buffer)
        for (labels, counts) in series {
            var cumulative = 0
            for (index, bound) in PortcullisMetrics.durationBuckets.enumerated() {
                cumulative += counts.buckets[index]
                Self.appendSeries(
                    name + "_bucket",
                    labels: labels + [("le", bound.bucketRepresentation)],
                    value: String(cumulative),
                    into: &buffer
                )
            }
            cumulative += counts.buckets[counts.buckets.count - 1]
            Self.appendSeries(name + "_bucket", labels: labels + [("le", "+Inf")], value: String(cumulative), into: &buffer)
            let sum = Duration.nanoseconds(counts.sumNanoseconds)
            Self.appendSeries(name + "_sum", labels: labels, value: sum.bucketRepresentation, into: &buffer)
            Self.appendSeries(name + "_count", labels: labels, value: String(cumulative), into: &buffer)
        }
    }

    private static func appendHeader(_ name: String, help: String, type: String, into buffer: inout [UInt8]) {
        buffer.append(contentsOf: "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n".utf8)
    }

    private static func appendSeries(_ name: String, labels: [(String, String)], value: String, into buffer: inout [UInt8]) {
        buffer.append(contentsOf: name.utf8)
        buffer.append(UInt8(ascii: "{"))
        for (index, (label, labelValue)) in labels.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            buffer.append(contentsOf: label.utf8)
            buffer.append(contentsOf: "=\"".utf8)
            for byte in labelValue.utf8 {
                switch byte {
                case UInt8(ascii: "\\"): buffer.append(contentsOf: #"\\"#.utf8)
                case UInt8(ascii: "\""): buffer.append(contentsOf: #"\""#.utf8)
                case UInt8(ascii: "\n"): buffer.append(contentsOf: #"\n"#.utf8)
                default: buffer.append(byte)
                }
            }
            buffer.append(UInt8(ascii: "\""))
        }
        buffer.append(contentsOf: "} ".utf8)
        buffer.append(contentsOf: value.utf8)
        buffer.append(UInt8(ascii: "\n"))
    }
}
