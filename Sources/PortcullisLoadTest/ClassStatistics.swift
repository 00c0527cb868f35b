import Histogram

/// What one credential class's answers measured: latency from the intended send time
/// (corrected) and from the actual send (uncorrected), in nanoseconds, and the statuses.
struct ClassStatistics: Sendable {
    var corrected = ClassStatistics.histogram()
    var uncorrected = ClassStatistics.histogram()
    var statuses: [Int: Int] = [:]

    /// Nanoseconds from 1 µs to 10 minutes, three significant digits (package-benchmark's precision).
    static func histogram() -> Histogram<UInt64> {
        Histogram(lowestDiscernibleValue: 1_000, highestTrackableValue: 600_000_000_000, numberOfSignificantValueDigits: .three)
    }

    var count: Int { self.statuses.values.reduce(0, +) }

    mutating func record(status: Int, corrected: Int64, uncorrected: Int64) {
        self.statuses[status, default: 0] += 1
        _ = self.corrected.record(UInt64(clamping: max(corrected, 1_000)))
        _ = self.uncorrected.record(UInt64(clamping: max(uncorrected, 1_000)))
    }

    mutating func add(_ other: ClassStatistics) {
        self.corrected.add(other.corrected)
        self.uncorrected.add(other.uncorrected)
        self.statuses.merge(other.statuses, uniquingKeysWith: +)
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
