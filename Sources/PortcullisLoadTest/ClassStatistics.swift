import Histogram

/// What one credential class's answers measured: latency from the intended send time
/// (corrected) and from the actual send (uncorrected), in nanoseconds, and the corrected latency
/// of each status apart (a class's fast 401s or 503s never hide in its 200s' figures).
struct ClassStatistics: Sendable {
    var corrected = ClassStatistics.histogram()
    var uncorrected = ClassStatistics.histogram()
    /// Status → the corrected latencies of the answers with it.
    var byStatus: [Int: Histogram<UInt64>] = [:]

    /// Status → answers.
    var statuses: [Int: Int] { self.byStatus.mapValues { Int($0.totalCount) } }

    /// Nanoseconds from 1 µs to 10 minutes, three significant digits (package-benchmark's precision).
    static func histogram() -> Histogram<UInt64> {
        Histogram(lowestDiscernibleValue: 1_000, highestTrackableValue: 600_000_000_000, numberOfSignificantValueDigits: .three)
    }

    var count: Int { Int(self.corrected.totalCount) }

    /// Records one answer; `byStatus: false` leaves the per-status histograms out (an interval's
    /// figures, which need only the counts' total).
    mutating func record(status: Int, corrected: Int64, uncorrected: Int64, byStatus: Bool = true) {
        let corrected = UInt64(clamping: max(corrected, 1_000))
        if byStatus { _ = self.byStatus[status, default: Self.histogram()].record(corrected) }
        _ = self.corrected.record(corrected)
        _ = self.uncorrected.record(UInt64(clamping: max(uncorrected, 1_000)))
    }

    mutating func add(_ other: ClassStatistics) {
        self.corrected.add(other.corrected)
        self.uncorrected.add(other.uncorrected)
        for (status, histogram) in other.byStatus {
            self.byStatus[status, default: Self.histogram()].add(histogram)
        }
    }
}

/// Every intended request ends in exactly one of these.
public struct LoadTestAccounting: Sendable, Equatable, Codable {
    public var intended = 0
    public var completed = 0
    public var errored = 0
    public var timedOut = 0
    public var inFlight = 0
    public var notSent = 0

    enum CodingKeys: String, CodingKey {
        case intended, completed, errored
        case timedOut = "timed_out"
        case inFlight = "in_flight"
        case notSent = "not_sent"
    }

    mutating func add(_ other: LoadTestAccounting) {
        self.intended += other.intended
        self.completed += other.completed
        self.errored += other.errored
        self.timedOut += other.timedOut
        self.inFlight += other.inFlight
        self.notSent += other.notSent
    }
}
