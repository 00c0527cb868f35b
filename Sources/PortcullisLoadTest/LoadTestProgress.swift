import Histogram

/// What one interval of a run's measured time measured (by default a second): the live
/// display's line and one entry per class in the interval log. An answer or a failure belongs to
/// the interval in which it arrived.
public struct LoadTestProgress: Sendable {
    /// Where the interval starts, in nanoseconds after the run's start (warm-up included).
    public let startNanoseconds: Int64
    /// How long the interval is; the final one is what was left, possibly shorter.
    public let lengthNanoseconds: Int64
    /// Measured answers received in the interval.
    public let completed: Int
    /// Measured requests that errored or timed out in the interval.
    public let failed: Int
    let classes: [ClassStatistics]
    /// Whether this is the rest after the run's end.
    public let final: Bool
    /// When the measured time started, in seconds since the epoch.
    public let measuredStartEpochSeconds: Double

    /// Answers per second in the interval.
    public var rate: Double {
        self.lengthNanoseconds > 0 ? Double(self.completed) / (Double(self.lengthNanoseconds) / 1e9) : 0
    }

    /// The 99th percentile of the interval's corrected latencies over every class, in
    /// milliseconds; `nil` when nothing was answered.
    public var p99Milliseconds: Double? {
        var merged = ClassStatistics.histogram()
        for statistics in self.classes { merged.add(statistics.corrected) }
        guard merged.totalCount > 0 else { return nil }
        return Double(merged.valueAtPercentile(99)) / 1e6
    }

    /// The live display's line, e.g. `  3s  10012 req/s  0 errors  p99 1.234 ms`.
    public var line: String {
        let seconds = Double(self.startNanoseconds + self.lengthNanoseconds) / 1e9
        var line = "\(Int(seconds.rounded()))s".leftPadded(to: 5) + "  \(Int(self.rate.rounded())) req/s  \(self.failed) errors"
        if let p99 = self.p99Milliseconds { line += "  p99 \(LoadTestReport.format(milliseconds: p99)) ms" }
        return line
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        self.count >= width ? self : String(repeating: " ", count: width - self.count) + self
    }
}
