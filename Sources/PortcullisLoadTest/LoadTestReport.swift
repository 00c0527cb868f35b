import Histogram
import NIOCore

/// What a load test measured, per class and in total.
public struct LoadTestReport: Sendable {
    public let plan: LoadTestPlan
    let classes: [ClassStatistics]
    public let accounting: LoadTestAccounting
    /// How late the schedule's sends were noticed as due (open loop), in nanoseconds.
    let lateness: Histogram<UInt64>
    /// Distinct credentials each class sent, warm-up included (one unless the class has variants).
    public let credentialsUsed: [Int]
    /// Requests each class sent, warm-up included.
    public let sent: [Int]
    /// The measured time as it was: `duration`, or less when `--requests` ended the run first.
    public let measuredNanoseconds: Int64
    /// The generator's CPU time over its threads' wall time (1 = every thread busy throughout).
    public let cpuShare: Double

    init(
        plan: LoadTestPlan,
        classes: [ClassStatistics],
        accounting: LoadTestAccounting,
        lateness: Histogram<UInt64> = ClassStatistics.histogram(),
        credentialsUsed: [Int]? = nil,
        sent: [Int]? = nil,
        measuredNanoseconds: Int64? = nil,
        cpuShare: Double = 0
    ) {
        self.plan = plan
        self.classes = classes
        self.accounting = accounting
        self.lateness = lateness
        self.credentialsUsed = credentialsUsed ?? Array(repeating: 1, count: classes.count)
        self.sent = sent ?? classes.map(\.count)
        self.measuredNanoseconds = measuredNanoseconds ?? plan.duration.nanoseconds
        self.cpuShare = cpuShare
    }

    /// Latency percentiles in milliseconds.
    public struct Latency: Sendable, Codable, Equatable {
        public var p50: Double
        public var p90: Double
        public var p99: Double
        public var p999: Double
        public var p9999: Double
        public var max: Double

        public init(p50: Double, p90: Double, p99: Double, p999: Double, p9999: Double, max: Double) {
            self.p50 = p50
            self.p90 = p90
            self.p99 = p99
            self.p999 = p999
            self.p9999 = p9999
            self.max = max
        }

        init(_ histogram: Histogram<UInt64>) {
            func ms(_ nanoseconds: UInt64) -> Double { histogram.totalCount == 0 ? 0 : Double(nanoseconds) / 1e6 }
            self.p50 = ms(histogram.valueAtPercentile(50))
            self.p90 = ms(histogram.valueAtPercentile(90))
            self.p99 = ms(histogram.valueAtPercentile(99))
            self.p999 = ms(histogram.valueAtPercentile(99.9))
            self.p9999 = ms(histogram.valueAtPercentile(99.99))
            self.max = ms(histogram.max)
        }
    }

    /// One class's figures.
    public struct ClassSummary: Sendable, Codable, Equatable {
        /// Answers received (any status).
        public var count: Int
        /// Status code (as a string) → answers.
        public var statuses: [String: Int]
        /// From each request's intended send time.
        public var latencyMs: Latency
        /// From each request's actual send.
        public var uncorrectedLatencyMs: Latency
        /// Status (as a string) → the corrected latencies of its answers.
        public var latencyByStatusMs: [String: Latency]
        /// What the class's answers had to be.
        public var expected: String
        /// Whether every answer was as expected (and there was at least one).
        public var passed: Bool
        /// Distinct credentials the class sent, warm-up included: each one's first use is a
        /// cache miss at the gateway.
        public var credentials: Int

        enum CodingKeys: String, CodingKey {
            case count, statuses, expected, passed, credentials
            case latencyMs = "latency_ms"
            case uncorrectedLatencyMs = "uncorrected_latency_ms"
            case latencyByStatusMs = "latency_by_status_ms"
        }
    }

    /// Each class's figures, by name.
    public var summaries: [(name: String, summary: ClassSummary)] {
        self.plan.classes.indices.map { index in
            let requestClass = self.plan.classes[index]
            let statistics = self.classes[index]
            let statuses = Dictionary(uniqueKeysWithValues: statistics.statuses.map { (String($0.key), $0.value) })
            let passed = statistics.count > 0 && statistics.statuses.keys.allSatisfy { requestClass.expectation.accepts($0) }
            return (
                requestClass.name,
                ClassSummary(
                    count: statistics.count,
                    statuses: statuses,
                    latencyMs: Latency(statistics.corrected),
                    uncorrectedLatencyMs: Latency(statistics.uncorrected),
                    latencyByStatusMs: Dictionary(uniqueKeysWithValues: statistics.byStatus.map { (String($0.key), Latency($0.value)) }),
                    expected: requestClass.expectation.description,
                    passed: passed,
                    credentials: self.credentialsUsed[index]
                )
            )
        }
    }

    /// Whether every class got only the statuses it expects.
    public var passed: Bool { self.summaries.allSatisfy { $0.summary.passed } }

    /// The intended rate (requests per second over the measured time), `nil` for a closed loop.
    public var rate: Double? {
        guard let schedule = self.plan.model.schedule else { return nil }
        if schedule.rampNanoseconds == 0 { return schedule.startRate }
        return schedule.requests(inFirst: self.measuredNanoseconds) / (Double(self.measuredNanoseconds) / 1e9)
    }

    /// Answers received per second of measured time.
    public var achievedRate: Double {
        Double(self.accounting.completed) / (Double(self.measuredNanoseconds) / 1e9)
    }

    /// How late the open loop's sends were noticed as due, in milliseconds; `nil` for a closed loop.
    public var sendLatenessMs: Latency? {
        self.plan.model.schedule == nil || self.lateness.totalCount == 0 ? nil : Latency(self.lateness)
    }

    /// What makes the figures doubtful: the generator behind its own schedule, or out of CPU.
    public var warnings: [String] {
        var warnings: [String] = []
        if let lateness = self.sendLatenessMs, lateness.p99 > 1 {
            warnings.append(
                "the generator fell behind its schedule: 1% of sends were noticed more than \(Self.format(milliseconds: lateness.p99)) ms late "
                    + "(give it more --threads, or a lower --rate)"
            )
        }
        if self.cpuShare > 0.9 {
            warnings.append(
                "the generator used \(Int((self.cpuShare * 100).rounded()))% of its \(max(1, min(self.plan.threads, self.plan.connections))) threads' CPU: "
                    + "its own delays are in the latencies (give it more --threads, or pin it apart from the target)"
            )
        }
        return warnings
    }

    /// One class's corrected latencies as an HdrHistogram percentile distribution (`.hgrm`), in
    /// milliseconds.
    public func percentileDistribution(ofClass index: Int, corrected: Bool = true) -> String {
        var text = ""
        let statistics = self.classes[index]
        (corrected ? statistics.corrected : statistics.uncorrected).outputPercentileDistribution(to: &text, outputValueUnitScalingRatio: 1e6)
        return text
    }

    /// The report as the `--json` file holds it.
    public struct JSON: Sendable, Codable, Equatable {
        public var classes: [String: ClassSummary]
        public var accounting: LoadTestAccounting
        public var rate: Double?
        public var achievedRate: Double
        public var connections: Int
        public var durationSeconds: Double
        /// How late the open loop's sends were noticed as due (absent for a closed loop).
        public var sendLatenessMs: Latency?
        /// The generator's CPU time over its threads' wall time.
        public var cpuShare: Double
        public var warnings: [String]

        enum CodingKeys: String, CodingKey {
            case classes, accounting, rate, connections, warnings
            case achievedRate = "achieved_rate"
            case durationSeconds = "duration_seconds"
            case sendLatenessMs = "send_lateness_ms"
            case cpuShare = "cpu_share"
        }
    }

    public var json: JSON {
        JSON(
            classes: Dictionary(uniqueKeysWithValues: self.summaries.map { ($0.name, $0.summary) }),
            accounting: self.accounting,
            rate: self.rate,
            achievedRate: self.achievedRate,
            connections: self.plan.connections,
            durationSeconds: Double(self.measuredNanoseconds) / 1e9,
            sendLatenessMs: self.sendLatenessMs,
            cpuShare: self.cpuShare,
            warnings: self.warnings
        )
    }

    /// The final table, one row per class, then the accounting.
    public var table: String {
        func cell(_ value: Double) -> String { Self.format(milliseconds: value).padding(toLeft: 9) }
        var lines: [String] = []
        let corrected = self.rate != nil
        func cells(_ latency: Latency) -> String {
            cell(latency.p50) + cell(latency.p90) + cell(latency.p99) + cell(latency.p999) + cell(latency.p9999) + cell(latency.max)
        }
        lines.append("class".padding(toRight: 22) + "    count  statuses              " + "p50 ms".padding(toLeft: 9) + "p90 ms".padding(toLeft: 9)
            + "p99 ms".padding(toLeft: 9) + "p99.9 ms".padding(toLeft: 9) + "p99.99 ms".padding(toLeft: 9) + "max ms".padding(toLeft: 9)
            + "  expected")
        for (name, summary) in self.summaries {
            let statuses = summary.statuses.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " ")
            let latency = summary.latencyMs
            lines.append(
                name.padding(toRight: 22) + String(summary.count).padding(toLeft: 9) + "  " + statuses.padding(toRight: 20)
                    + cells(latency) + "  " + summary.expected + (summary.passed ? "" : "  FAILED")
            )
            if corrected {
                lines.append("  uncorrected".padding(toRight: 22) + "".padding(toLeft: 31) + cells(summary.uncorrectedLatencyMs))
            }
            if summary.statuses.count > 1 {
                for (status, byStatus) in summary.latencyByStatusMs.sorted(by: { $0.key < $1.key }) {
                    lines.append(
                        "  status \(status)".padding(toRight: 22) + String(summary.statuses[status] ?? 0).padding(toLeft: 9)
                            + "".padding(toLeft: 22) + cells(byStatus)
                    )
                }
            }
        }
        let a = self.accounting
        lines.append(
            "requests: intended \(a.intended), completed \(a.completed), errored \(a.errored), timed out \(a.timedOut), "
                + "in flight \(a.inFlight), not sent \(a.notSent); \(Int(self.achievedRate.rounded())) req/s"
                + (self.rate.map { " (intended \(Int($0.rounded())))" } ?? "")
        )
        for (index, summary) in self.summaries.enumerated() where !self.plan.classes[index].variants.isEmpty {
            lines.append("\(summary.name): \(summary.summary.credentials) distinct credentials sent (warm-up included), each first use a cache miss")
        }
        if let lateness = self.sendLatenessMs {
            lines.append(
                "send lateness: p50 \(Self.format(milliseconds: lateness.p50)) ms, p99 \(Self.format(milliseconds: lateness.p99)) ms, "
                    + "p99.9 \(Self.format(milliseconds: lateness.p999)) ms, max \(Self.format(milliseconds: lateness.max)) ms"
            )
        }
        for warning in self.warnings { lines.append("warning: " + warning) }
        return lines.joined(separator: "\n")
    }

    /// The percentile-distribution plot as SVG: one line per class, corrected and (open loop)
    /// uncorrected; `target` names what was loaded in the subtitle.
    public func percentilePlot(target: String) -> String {
        let openLoop = self.plan.model.schedule != nil
        var subtitle = target + ", "
        if let rate = self.rate { subtitle += "\(Int(rate.rounded())) req/s intended, " }
        subtitle += "\(Int(self.achievedRate.rounded())) req/s answered, \(self.plan.connections) connections"
        let plot = PercentilePlot(
            title: "Latency by percentile" + (openLoop ? " (from intended send times; dashed: from actual sends)" : ""),
            subtitle: subtitle,
            series: self.plan.classes.indices.map { index in
                PercentilePlot.Series(
                    name: self.plan.classes[index].name,
                    corrected: self.classes[index].corrected,
                    uncorrected: openLoop ? self.classes[index].uncorrected : nil
                )
            }
        )
        return plot.svg
    }

    /// Three decimals below 10 ms, whole milliseconds above.
    static func format(milliseconds value: Double) -> String {
        value < 10 ? String(format3: value) : String(Int(value.rounded()))
    }
}

extension String {
    fileprivate func padding(toLeft width: Int) -> String {
        self.count >= width ? " " + self : String(repeating: " ", count: width - self.count) + self
    }

    fileprivate func padding(toRight width: Int) -> String {
        self.count >= width ? self + " " : self + String(repeating: " ", count: width - self.count)
    }

    /// Three decimals, without Foundation.
    fileprivate init(format3 value: Double) {
        let thousandths = Int((value * 1000).rounded())
        let fraction = String(thousandths % 1000)
        self = "\(thousandths / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
