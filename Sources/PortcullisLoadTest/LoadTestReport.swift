import Histogram
import NIOCore

/// What a load test measured, per class and in total.
public struct LoadTestReport: Sendable {
    public let plan: LoadTestPlan
    let classes: [ClassStatistics]
    public let accounting: LoadTestAccounting

    init(plan: LoadTestPlan, classes: [ClassStatistics], accounting: LoadTestAccounting) {
        self.plan = plan
        self.classes = classes
        self.accounting = accounting
    }

    /// Latency percentiles in milliseconds.
    public struct Latency: Sendable, Codable, Equatable {
        public var p50: Double
        public var p90: Double
        public var p99: Double
        public var p999: Double
        public var max: Double

        init(_ histogram: Histogram<UInt64>) {
            func ms(_ nanoseconds: UInt64) -> Double { histogram.totalCount == 0 ? 0 : Double(nanoseconds) / 1e6 }
            self.p50 = ms(histogram.valueAtPercentile(50))
            self.p90 = ms(histogram.valueAtPercentile(90))
            self.p99 = ms(histogram.valueAtPercentile(99))
            self.p999 = ms(histogram.valueAtPercentile(99.9))
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
        /// What the class's answers had to be.
        public var expected: String
        /// Whether every answer was as expected (and there was at least one).
        public var passed: Bool

        enum CodingKeys: String, CodingKey {
            case count, statuses, expected, passed
            case latencyMs = "latency_ms"
            case uncorrectedLatencyMs = "uncorrected_latency_ms"
        }
    }

    /// Each class's figures, by name.
    public var summaries: [(name: String, summary: ClassSummary)] {
        zip(self.plan.classes, self.classes).map { requestClass, statistics in
            let statuses = Dictionary(uniqueKeysWithValues: statistics.statuses.map { (String($0.key), $0.value) })
            let passed = statistics.count > 0 && statistics.statuses.keys.allSatisfy { requestClass.expectation.accepts($0) }
            return (
                requestClass.name,
                ClassSummary(
                    count: statistics.count,
                    statuses: statuses,
                    latencyMs: Latency(statistics.corrected),
                    uncorrectedLatencyMs: Latency(statistics.uncorrected),
                    expected: requestClass.expectation.description,
                    passed: passed
                )
            )
        }
    }

    /// Whether every class got only the statuses it expects.
    public var passed: Bool { self.summaries.allSatisfy { $0.summary.passed } }

    /// The intended rate (requests per second), `nil` for a closed loop.
    public var rate: Double? {
        if case .constantRate(let rate) = self.plan.model { return rate }
        return nil
    }

    /// Answers received per second of measured time.
    public var achievedRate: Double {
        Double(self.accounting.completed) / (Double(self.plan.duration.nanoseconds) / 1e9)
    }

    /// The report as the `--json` file holds it.
    public struct JSON: Sendable, Codable, Equatable {
        public var classes: [String: ClassSummary]
        public var accounting: LoadTestAccounting
        public var rate: Double?
        public var achievedRate: Double
        public var connections: Int
        public var durationSeconds: Double

        enum CodingKeys: String, CodingKey {
            case classes, accounting, rate, connections
            case achievedRate = "achieved_rate"
            case durationSeconds = "duration_seconds"
        }
    }

    public var json: JSON {
        JSON(
            classes: Dictionary(uniqueKeysWithValues: self.summaries.map { ($0.name, $0.summary) }),
            accounting: self.accounting,
            rate: self.rate,
            achievedRate: self.achievedRate,
            connections: self.plan.connections,
            durationSeconds: Double(self.plan.duration.nanoseconds) / 1e9
        )
    }

    /// The final table, one row per class, then the accounting.
    public var table: String {
        func cell(_ value: Double) -> String {
            let text = value < 10 ? String(format3: value) : String(Int(value.rounded()))
            return text.padding(toLeft: 9)
        }
        var lines: [String] = []
        let corrected = self.rate != nil
        lines.append("class".padding(toRight: 18) + "    count  statuses              " + "p50 ms".padding(toLeft: 9) + "p90 ms".padding(toLeft: 9)
            + "p99 ms".padding(toLeft: 9) + "p99.9 ms".padding(toLeft: 9) + "max ms".padding(toLeft: 9) + "  expected")
        for (name, summary) in self.summaries {
            let statuses = summary.statuses.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " ")
            let latency = summary.latencyMs
            lines.append(
                name.padding(toRight: 18) + String(summary.count).padding(toLeft: 9) + "  " + statuses.padding(toRight: 20)
                    + cell(latency.p50) + cell(latency.p90) + cell(latency.p99) + cell(latency.p999) + cell(latency.max)
                    + "  " + summary.expected + (summary.passed ? "" : "  FAILED")
            )
            if corrected {
                let raw = summary.uncorrectedLatencyMs
                lines.append(
                    "  uncorrected".padding(toRight: 18) + "".padding(toLeft: 9) + "  " + "".padding(toRight: 20)
                        + cell(raw.p50) + cell(raw.p90) + cell(raw.p99) + cell(raw.p999) + cell(raw.max)
                )
            }
        }
        let a = self.accounting
        lines.append(
            "requests: intended \(a.intended), completed \(a.completed), errored \(a.errored), timed out \(a.timedOut), "
                + "in flight \(a.inFlight), not sent \(a.notSent); \(Int(self.achievedRate.rounded())) req/s"
                + (self.rate.map { " (intended \(Int($0.rounded())))" } ?? "")
        )
        return lines.joined(separator: "\n")
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
